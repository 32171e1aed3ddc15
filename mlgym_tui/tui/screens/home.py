"""Home: the tasks (domain, metric and direction, baseline, stand-in data), the agents, recent runs —
and the keys that start watching an agent, attempting a task yourself, or replaying a run."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Input, OptionList, Static

from mlgym_tui.core.errors import UserError
from mlgym_tui.core.task_sources import load_task, task_ids
from mlgym_tui.core.trajectory import RESULT_FILE, TRAJECTORY_FILE
from mlgym_tui.tui.live import EpisodeRequest, LiveEpisode
from mlgym_tui.tui.settings import WorkbenchSettings
from mlgym_tui.tui.widgets.key_bar import KeyBar

MAX_RUNS = 200


def available_agents() -> list[str]:
    """Agent short names the registry knows (the home screen's list)."""
    from mlgym_tui.agents.registry import BUILTIN

    return sorted(BUILTIN)


@dataclass(frozen=True)
class RunRow:
    folder: Path
    started: str
    task: str
    agent: str
    status: str
    score: str
    steps: str


def recent_runs(root: Path, limit: int = MAX_RUNS) -> list[RunRow]:
    """Run folders under ``root`` (``<task>/<agent>/<stamp>/``), newest first; unreadable ones say so."""
    if not root.is_dir():
        return []
    found: list[tuple[float, Path]] = []
    for task_dir in _dirs(root):
        for agent_dir in _dirs(task_dir):
            for run in _dirs(agent_dir):
                traj = run / TRAJECTORY_FILE
                if traj.is_file():
                    found.append((traj.stat().st_mtime, run))
    found.sort(reverse=True)
    return [_row(run) for _mtime, run in found[:limit]]


def _dirs(folder: Path) -> list[Path]:
    try:
        return [Path(e.path) for e in os.scandir(folder) if e.is_dir() and e.name != "workspace"]
    except OSError:
        return []


def _row(run: Path) -> RunRow:
    task, agent, stamp = run.parent.parent.name, run.parent.name, run.name
    started = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}" if len(stamp) >= 15 else stamp
    result = run / RESULT_FILE
    if not result.is_file():
        return RunRow(run, started, task, agent, "in progress", "—", "—")
    try:
        raw = json.loads(result.read_text(encoding="utf-8"))
        score = raw.get("score")
        if raw.get("source", "mlgym-tui") != "mlgym-tui" and isinstance(raw.get("started"), str):
            started = raw["started"][:16].replace("T", " ") or started  # an import: when the run itself began
        return RunRow(
            run, started, task, agent, str(raw.get("exit_status", "?")),
            "—" if score is None else f"{score:.4g}", str(raw.get("steps", "—")),
        )
    except (OSError, ValueError, AttributeError):
        return RunRow(run, started, task, agent, "unreadable result", "—", "—")


class HomeScreen(Screen[None]):
    """See the module docstring."""

    BINDINGS = [
        Binding("w", "watch", "Watch agent", id="home.watch", tooltip="Run the selected agent on the selected task"),
        Binding("h", "human", "Attempt yourself", id="home.human", tooltip="Work on the selected task yourself"),
        Binding("r", "replay", "Replay run", id="home.replay", tooltip="Replay the selected run"),
        Binding("s", "scoreboard", "Scoreboard", id="home.scoreboard", tooltip="Scores of the runs folder"),
        Binding("f5", "refresh", "Refresh", id="home.refresh", tooltip="Reload tasks and runs"),
        Binding("q", "app.quit", "Quit", id="home.quit", show=False),
    ]

    def __init__(self, settings: WorkbenchSettings) -> None:
        super().__init__()
        self.settings = settings
        self.runs: list[RunRow] = []
        self.tasks: list[str] = []
        self.agents: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="home-grid"):
            with Vertical(id="home-tasks", classes="panel home-section") as tasks:
                tasks.border_title = "Tasks"
                yield DataTable(id="tasks-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="home-agents", classes="panel home-section") as agents:
                agents.border_title = "Agents"
                yield OptionList(id="agents-list")
                model = Input(placeholder="model (LLM agents), e.g. openai:gpt-4o", id="home-model")
                model.cursor_blink = self.settings.cursor_blink
                yield model
            with Vertical(id="home-runs", classes="panel home-section") as runs:
                runs.border_title = f"Recent runs · {self.settings.runs_dir}"
                yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
        yield Static(
            " w watch the agent · h attempt it yourself · r / enter replay a run · s scoreboard · "
            "F1 keys · ctrl+p commands",
            id="home-hint",
        )
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#tasks-table", DataTable).add_columns("task", "baseline", "metric", "better", "domain", "data")
        self.query_one("#runs-table", DataTable).add_columns("started", "score", "steps", "task", "agent", "status")
        self.action_refresh()
        self.query_one("#tasks-table", DataTable).focus()

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self._load_runs()

    def action_refresh(self) -> None:
        tasks = self.query_one("#tasks-table", DataTable)
        tasks.clear()
        self.tasks = []
        for tid in task_ids():
            try:
                t = load_task(tid)
            except UserError as exc:
                tasks.add_row(tid, "", str(exc)[:40], "", "config error", "", key=tid)
                self.tasks.append(tid)
                continue
            base = t.baseline_score
            mlgym = t.source == "mlgym"  # MLGym's own definition: its recorded baseline, its data
            baseline = "—" if base is None else f"{base:.4g}" + (" (MLGym's)" if mlgym else "")
            tasks.add_row(  # numbers right after the name: a narrow table cuts its last columns, never them
                t.id, Text(baseline, justify="right"), t.primary.name, t.primary.direction.word, t.domain,
                "MLGym" if mlgym else "stand-in" if t.stand_in else "real", key=t.id,
            )
            self.tasks.append(t.id)
        agents = self.query_one("#agents-list", OptionList)
        agents.clear_options()
        self.agents = available_agents()
        agents.add_options(self.agents)
        if self.agents:
            agents.highlighted = 0
        self._load_runs()

    def _load_runs(self) -> None:
        table = self.query_one("#runs-table", DataTable)
        table.clear()
        self.runs = recent_runs(self.settings.runs_dir)
        for i, r in enumerate(self.runs):
            table.add_row(r.started, Text(str(r.score), justify="right"), Text(str(r.steps), justify="right"),
                          r.task, r.agent, r.status, key=str(i))

    # -- selection -----------------------------------------------------------------------------
    def selected_task(self) -> str | None:
        table = self.query_one("#tasks-table", DataTable)
        if not self.tasks:
            return None
        return self.tasks[min(table.cursor_row, len(self.tasks) - 1)]

    def selected_agent(self) -> str:
        options = self.query_one("#agents-list", OptionList)
        index = options.highlighted
        return self.agents[index] if index is not None and self.agents else "baseline"

    def selected_run(self) -> RunRow | None:
        table = self.query_one("#runs-table", DataTable)
        if not self.runs:
            return None
        return self.runs[min(table.cursor_row, len(self.runs) - 1)]

    # -- actions -------------------------------------------------------------------------------
    def _request(self) -> EpisodeRequest | None:
        task = self.selected_task()
        if task is None:
            self.notify("No task selected.", severity="warning")
            return None
        model = self.query_one("#home-model", Input).value.strip() or None
        return EpisodeRequest(task=task, agent=self.selected_agent(), model=model, out=self.settings.runs_dir)

    def action_watch(self) -> None:
        request = self._request()
        if request is None:
            return
        try:
            episode = LiveEpisode(request)
        except UserError as exc:
            self.notify(str(exc), title="Cannot start", severity="error")
            return
        self.app.push_screen(self.app.watch_screen(request, episode=episode))  # type: ignore[attr-defined]

    def action_human(self) -> None:
        request = self._request()
        if request is None:
            return
        try:
            episode = LiveEpisode(request, human=True)
        except UserError as exc:
            self.notify(str(exc), title="Cannot start", severity="error")
            return
        self.app.push_screen(self.app.human_screen(request, episode=episode))  # type: ignore[attr-defined]

    def action_replay(self) -> None:
        run = self.selected_run()
        if run is None:
            self.notify("No run selected.", severity="warning")
            return
        from mlgym_tui.tui.screens.replay import ReplayScreen

        self.app.push_screen(ReplayScreen(self.settings, run.folder))

    def action_scoreboard(self) -> None:
        self.app.push_screen(self.app.scoreboard_screen(self.settings.runs_dir))  # type: ignore[attr-defined]

    @on(DataTable.RowSelected, "#runs-table")
    def _run_chosen(self) -> None:
        self.action_replay()

    @on(DataTable.RowSelected, "#tasks-table")
    def _task_chosen(self) -> None:
        self.action_watch()
