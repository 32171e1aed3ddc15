"""Scoreboard: the MLGym evaluation of a runs folder — best scores per task, AUP of both measures with
their performance profiles, how runs ended, cost — refreshing while runs are being written.

The numbers come from :mod:`mlgym_tui.core.scoring`, exactly as ``mlgym-tui score`` prints them; this
screen only lays them out. Reading runs happens on a worker thread that posts a finished board. k (the
attempts counted) and τ_max are set in the bar at the top; the summary says how many of the runs found
are scored and why the others are not, and the Notes tab lists the scoring's notes, grouped.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label, Static, TabbedContent, TabPane
from textual.worker import get_current_worker
from textual_plotext import PlotextPlot

from mlgym_tui.core.scoring import BASELINE, MEASURES, Scoreboard, load_runs, scoreboard
from mlgym_tui.core.scoring.render import fmt
from mlgym_tui.tui.colors import theme_rgb, theme_style
from mlgym_tui.tui.settings import WorkbenchSettings
from mlgym_tui.tui.text import counted
from mlgym_tui.tui.widgets.key_bar import KeyBar

REFRESH = 2.0
"""Seconds between two looks at the runs folder."""


class ScoreboardScreen(Screen[None]):
    """See the module docstring."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="scoreboard.back"),
        Binding("m", "toggle_measure", "Measure", id="scoreboard.measure",
                tooltip="Plot Best Attempt@k or Best Submission@k profiles"),
        Binding("f5", "refresh", "Refresh", id="scoreboard.refresh", tooltip="Read the runs folder now"),
        Binding("k", "focus_setting('scoreboard-k')", "Set k", id="scoreboard.attempts",
                tooltip="Count each competitor's first k attempts per task (empty: all)"),
        Binding("t", "focus_setting('scoreboard-tau')", "Set τ_max", id="scoreboard.tau",
                tooltip="Right end of the profiles and the AUP integral (empty: chosen as MLGym does)"),
    ]

    class BoardReady(Message):
        """A new board (None when there are no finished runs yet)."""

        def __init__(self, board: Scoreboard | None, waiting: int, problems: list[str]) -> None:
            super().__init__()
            self.board = board
            self.waiting = waiting
            self.problems = problems

    def __init__(self, settings: WorkbenchSettings, folder: Path, *, live: bool = True) -> None:
        super().__init__()
        self.settings = settings
        self.folder = Path(folder)
        self.live = live
        self.board: Scoreboard | None = None
        self.measure = "best_attempt"
        self.attempts: int | None = None
        self.tau_max: float | None = None
        self._signature: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"Reading {self.folder} …", id="scoreboard-summary")
        with Horizontal(id="scoreboard-settings"):
            yield Label("k (attempts)", classes="setting-label")
            yield Input(placeholder="all", id="scoreboard-k", type="integer", classes="setting-input")
            yield Label("τ_max", classes="setting-label")
            yield Input(placeholder="auto", id="scoreboard-tau", type="number", classes="setting-input")
            yield Static("Enter applies · k / t jump here", id="scoreboard-settings-hint")
        with TabbedContent(id="scoreboard-body"):
            for key, title in MEASURES.items():
                with TabPane(title, id=f"tab-{key}"):
                    yield DataTable(id=f"table-{key}", zebra_stripes=True, cursor_type="row")
            with TabPane("AUP & profiles", id="tab-aup"):
                yield DataTable(id="table-aup", zebra_stripes=True, cursor_type="row")
                yield PlotextPlot(id="profile-plot")
            with TabPane("Exits", id="tab-exits"):
                yield DataTable(id="table-exits", zebra_stripes=True, cursor_type="row")
            with TabPane("Cost", id="tab-cost"):
                yield DataTable(id="table-cost", zebra_stripes=True, cursor_type="row")
            with TabPane("Notes", id="tab-notes"):
                yield Static(id="notes-text")
        yield KeyBar()

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = self.settings.cursor_blink  # tests and snapshots: no blinking cursor
        self._watch_runs()

    # -- reading (worker) ------------------------------------------------------------------------
    def _read_once(self) -> None:
        runs = load_runs([self.folder]) if self.folder.exists() else None
        if runs is None:
            signature: tuple[object, ...] = ("missing",)
        else:
            signature = (tuple(sorted(str(r.folder) for r in runs.runs)), len(runs.in_progress), len(runs.problems))
        signature = (*signature, self.attempts, self.tau_max)
        if signature == self._signature:
            return
        self._signature = signature
        if runs is None:
            self.post_message(self.BoardReady(None, 0, [f"{self.folder}: no such folder"]))
            return
        problems = [str(p) for p in runs.problems]
        board = scoreboard(runs, attempts=self.attempts, tau_max=self.tau_max) if runs.runs else None
        self.post_message(self.BoardReady(board, len(runs.in_progress), problems))

    @work(thread=True, exclusive=True, group="scoreboard", exit_on_error=False)
    def _watch_runs(self) -> None:
        worker = get_current_worker()
        while not worker.is_cancelled:
            self._read_once()
            if not self.live:
                return
            deadline = time.monotonic() + REFRESH
            while time.monotonic() < deadline and not worker.is_cancelled:
                time.sleep(0.1)

    def action_refresh(self) -> None:
        self._signature = None
        self._refresh_now()

    @work(thread=True, group="scoreboard-now", exit_on_error=False)
    def _refresh_now(self) -> None:
        self._read_once()

    # -- showing --------------------------------------------------------------------------------
    @on(BoardReady)
    def _show(self, message: BoardReady) -> None:
        self.board = message.board
        v = self.app.theme_variables
        summary = Text()
        if message.board is None:
            summary.append(f"No finished runs under {self.folder} yet", style=theme_style(v, "warning", bold=True))
        else:
            b = message.board
            k = "all attempts" if b.attempts is None else f"first {b.attempts}"
            tau = next(iter(b.measures.values())).tau_max
            summary.append(f"{self.folder}", style=theme_style(v, "primary", bold=True))
            summary.append(f" · {b.runs} of {counted(b.found, 'run')} scored · {counted(len(b.tasks), 'task')} · "
                           f"{counted(len(b.competitors), 'competitor')} · {k} · τ_max {tau:.3g}")
            if b.left_out:
                left = ", ".join(f"{n} {why}" for why, n in b.left_out.items())
                summary.append(f" · left out: {left} (see Notes)", style=theme_style(v, "warning"))
            if b.stand_in_tasks:
                summary.append(f" · stand-in data: {', '.join(b.stand_in_tasks)}", style=theme_style(v, "warning"))
        if message.waiting:
            summary.append(f" · {message.waiting} running", style=theme_style(v, "success"))
        self.query_one("#scoreboard-summary", Static).update(summary)
        self.query_one("#notes-text", Static).update(Text(self._notes_text(message)))
        if message.board is not None:
            self._fill(message.board)

    @staticmethod
    def _notes_text(message: BoardReady) -> str:
        lines = []
        b = message.board
        if b is not None:
            lines += [f"Left out: {n} {why}" for why, n in b.left_out.items()]
            lines += [f"Note: {n}" for n in b.grouped_notes]
        lines += [f"Skipped: {p}" for p in message.problems]
        return "\n".join(lines) or "Nothing to note: every run found is scored."

    # -- settings -------------------------------------------------------------------------------
    def action_focus_setting(self, widget_id: str) -> None:
        self.query_one(f"#{widget_id}", Input).focus()

    @on(Input.Submitted, "#scoreboard-k")
    def _set_attempts(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text and (not text.lstrip("-").isdigit() or int(text) < 1):
            self.notify("k must be a whole number of at least 1 (empty: all attempts)", severity="error")
            return
        self.attempts = int(text) if text else None
        self.set_focus(None)  # back to the tables: k and t jump again
        self.action_refresh()

    @on(Input.Submitted, "#scoreboard-tau")
    def _set_tau_max(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        try:
            value = float(text) if text else None
        except ValueError:
            value = -1.0
        if value is not None and not (0 < value < float("inf")):
            self.notify("τ_max must be a positive number (empty: chosen as MLGym does)", severity="error")
            return
        self.tau_max = value
        self.set_focus(None)
        self.action_refresh()

    def _fill(self, b: Scoreboard) -> None:
        for key in MEASURES:
            table = self.query_one(f"#table-{key}", DataTable)
            table.clear(columns=True)
            table.add_columns("task", "metric", "better", *b.competitors)
            ratios = b.measures[key].ratios
            for t in b.tasks:
                cells = [t.task + (" *" if t.stand_in else ""), t.metric, t.direction.word]
                for c in b.competitors:
                    score = t.best(key).get(c)
                    ratio = ratios.get(t.task, {}).get(c)
                    if c != BASELINE and t.runs.get(c, 0) == 0:
                        cells.append("(no run)")
                    elif score is None:
                        cells.append("(failed)")
                    else:
                        cells.append(fmt(score) + (f" ({ratio.reason})" if ratio is not None and ratio.reason else ""))
                table.add_row(*cells)
        aup = self.query_one("#table-aup", DataTable)
        aup.clear(columns=True)
        aup.add_columns("plot", "competitor",
                        *[f"AUP {MEASURES[k]} (τ_max {t.tau_max:.3g})" for k, t in b.measures.items()])
        order = sorted(b.competitors, key=lambda c: -(b.measures["best_attempt"].aup.get(c) or 0.0))
        for c in order:
            aup.add_row(self._mark(b, c), c, *[fmt(t.aup.get(c)) for t in b.measures.values()])
        exits = self.query_one("#table-exits", DataTable)
        exits.clear(columns=True)
        groups = b.exits.used_groups()
        exits.add_columns("competitor", *groups, "runs")
        for c, counts in b.exits.counts.items():
            exits.add_row(c, *[str(counts.get(g, 0)) for g in groups], str(b.exits.runs.get(c, 0)))
        cost = self.query_one("#table-cost", DataTable)
        cost.clear(columns=True)
        cost.add_columns("competitor", "runs", "cost $", "$ per task", "tokens in", "tokens out",
                         *[f"AUP/$ {MEASURES[k]}" for k in MEASURES])
        for row in b.costs:
            per = [fmt(row.aup_per_dollar.get(k)) if row.aup_per_dollar.get(k) is not None else "(free)" for k in MEASURES]
            cost.add_row(row.competitor, str(row.runs), f"{row.cost:.4f}", f"{row.cost_per_task:.4f}",
                         str(row.tokens_in), str(row.tokens_out), *per)
        self._plot()

    def _plot(self) -> None:
        plot = self.query_one("#profile-plot", PlotextPlot)
        plt = plot.plt
        plt.clear_figure()
        if self.board is None:
            plot.refresh()
            return
        table = self.board.measures[self.measure]
        v = self.app.theme_variables
        colours = [theme_rgb(v, n) for n in ("primary", "success", "accent", "secondary", "warning", "error")]
        for i, (name, curve) in enumerate(table.profiles.items()):
            pts = curve.points(table.tau_max)
            # Each curve drawn with its letter (the AUP table's "plot" column names it): plotext's own
            # legend sits inside the plot, over the curves.
            plt.plot([p[0] for p in pts], [p[1] for p in pts], marker=self._mark(self.board, name),
                     color=colours[i % len(colours)])
        plt.title(f"{table.title}: performance profiles (AUP = area; m switches measure)")
        plt.xlabel("τ (log10 performance ratio)")
        plt.ylim(0, 1.05)
        plt.xlim(0, table.tau_max)
        plot.refresh()

    @staticmethod
    def _mark(board: Scoreboard, competitor: str) -> str:
        """The letter a competitor's profile is drawn with."""
        return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[board.competitors.index(competitor) % 26]

    def action_toggle_measure(self) -> None:
        keys = list(MEASURES)
        self.measure = keys[(keys.index(self.measure) + 1) % len(keys)]
        self._plot()

    def action_back(self) -> None:
        self.app.pop_screen()

    def palette_commands(self) -> list[tuple[str, str, object]]:
        return [
            ("Scoreboard: Set k", "count each competitor's first k attempts",
             lambda: self.action_focus_setting("scoreboard-k")),
            ("Scoreboard: Set tau_max", "right end of the profiles and the AUP integral",
             lambda: self.action_focus_setting("scoreboard-tau")),
            ("Scoreboard: Refresh", "read the runs folder now", self.action_refresh),
            ("Scoreboard: Switch measure", "plot the other measure's profiles", self.action_toggle_measure),
        ]
