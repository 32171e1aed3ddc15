"""Replay re-executes a recorded run and reproduces its observations; a fork hands over at step N."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mlgym_tui.agents.replay import ReplayAgent
from mlgym_tui.core.agent import AgentStep
from mlgym_tui.core.runner import EpisodeSpec, run_episode
from mlgym_tui.core.task import TaskConfig
from mlgym_tui.core.task_sources import load_task
from tests.helpers import cli, read_jsonl

ACTIONS = [
    "ls",
    "cat strategy.py",
    "open strategy.py",
    "edit 10:10\nFORGIVENESS = 0.2\nend_of_edit",
    "python -c 'import strategy; print(strategy.FORGIVENESS * 10)'",
    "validate",
    "submit",
]


class FixedActions:
    """Proposes ACTIONS in order, each with a thought naming it."""

    name = "fixed"
    model = None

    def start(self, task: TaskConfig, observation: str, info: dict[str, Any]) -> None:
        self.todo = list(ACTIONS)

    def act(self, observation: str, info: dict[str, Any]) -> AgentStep:
        action = self.todo.pop(0)
        return AgentStep(action, thought=f"Next: {action.splitlines()[0]}")

    def close(self) -> None:
        pass


def observations(folder: Path) -> list[str]:
    """Step observations, with the (per-run) workspace folder taken out of editor headers."""
    texts = [r["text"] for r in read_jsonl(folder / "trajectory.jsonl") if r["kind"] == "observation" and r["step"] > 0]
    return [re.sub(r"/\S*/(?=strategy\.py)", "", t) for t in texts]


def record(tmp_path: Path) -> Path:
    spec = EpisodeSpec(task=load_task("prisonersDilemma"), agent=FixedActions(), out=tmp_path / "recorded")
    folder, result = run_episode(spec)
    assert result.exit_status == "submitted"
    return folder


def test_replay_reproduces_the_recorded_observations(tmp_path: Path) -> None:
    recorded = record(tmp_path)
    proc = cli("run", "prisonersDilemma", "--agent", "replay", "-c", f"path={recorded}", "--out",
               str(tmp_path / "replayed"), "-q")
    assert proc.returncode == 0, proc.stderr
    replayed = next((tmp_path / "replayed").rglob("trajectory.jsonl")).parent
    assert observations(replayed) == observations(recorded)
    records = read_jsonl(replayed / "trajectory.jsonl")
    assert [r["action"] for r in records if r["kind"] == "action"] == ACTIONS
    assert [r["text"] for r in records if r["kind"] == "thought"][0] == "Next: ls"
    recorded_score = json.loads((recorded / "result.json").read_text())["score"]
    assert json.loads((replayed / "result.json").read_text())["score"] == recorded_score


def test_fork_at_step_n_continues_with_another_agent(tmp_path: Path) -> None:
    recorded = record(tmp_path)
    proc = cli("run", "prisonersDilemma", "--agent", "replay", "-c", f"path={recorded}", "-c", "until=4",
               "-c", "then=sweep", "-c", "then_config=[max_evals=2]", "--out", str(tmp_path / "fork"), "-q")
    assert proc.returncode == 0, proc.stderr
    folder = next((tmp_path / "fork").rglob("trajectory.jsonl")).parent
    assert folder.parent.name == "fork-sweep"
    records = read_jsonl(folder / "trajectory.jsonl")
    actions = [r for r in records if r["kind"] == "action"]
    assert [a["action"] for a in actions[:4]] == ACTIONS[:4]
    assert actions[4]["action"] == "cat strategy.py"  # the sweep's first step, after the handover
    assert observations(folder)[:4] == observations(recorded)[:4]
    # the sweep starts from the forked workspace: FORGIVENESS already 0.2
    sweep_read = [r for r in records if r["kind"] == "observation" and r["step"] == 5][0]["text"]
    assert "FORGIVENESS = 0.2" in sweep_read
    assert json.loads((folder / "result.json").read_text())["exit_status"] == "submitted"


def test_fork_tells_an_interjectable_agent_what_was_done(tmp_path: Path) -> None:
    recorded = record(tmp_path)

    class Listener(FixedActions):
        name = "listener"

        def __init__(self) -> None:
            self.heard: list[str] = []

        def interject(self, text: str) -> None:
            self.heard.append(text)

    listener = Listener()
    agent = ReplayAgent(recorded, until=2, then=listener)
    spec = EpisodeSpec(task=load_task("prisonersDilemma"), agent=agent, out=tmp_path / "f")
    _, result = run_episode(spec)
    assert result.exit_status == "submitted"
    assert listener.heard and "2 step(s) were already taken" in listener.heard[0]
    assert "1. ls" in listener.heard[0] and "2. cat strategy.py" in listener.heard[0]


def test_replay_of_a_recording_without_submission_ends_with_its_status(tmp_path: Path) -> None:
    recorded = record(tmp_path)
    lines = (recorded / "trajectory.jsonl").read_text().splitlines()
    cut = [line for line in lines if '"action": "submit"' not in line]  # as if it had stopped there
    cut = [line.replace('"exit_status": "submitted"', '"exit_status": "autosubmission_max_steps"') for line in cut]
    (recorded / "trajectory.jsonl").write_text("\n".join(cut) + "\n")
    agent = ReplayAgent(recorded)
    _, result = run_episode(EpisodeSpec(task=load_task("prisonersDilemma"), agent=agent, out=tmp_path / "r"))
    assert result.exit_status == "autosubmission_max_steps"
    assert result.submission is not None


def test_replay_of_an_imported_mlgym_trajectory_re_executes_its_actions(tmp_path: Path) -> None:
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "mlgym"
    run = next(p for p in fixtures.iterdir() if "prisonersDilemma" in p.name)
    proc = cli("import", str(run), "--out", str(tmp_path / "imported"))
    assert proc.returncode == 0, proc.stderr
    imported = next((tmp_path / "imported").rglob("trajectory.jsonl")).parent
    proc = cli("run", "prisonersDilemma", "--agent", "replay", "-c", f"path={imported}", "--out",
               str(tmp_path / "replayed"), "-q")
    assert proc.returncode in (0, 1), proc.stderr
    replayed = next((tmp_path / "replayed").rglob("trajectory.jsonl")).parent

    def actions(folder: Path) -> list[str]:
        return [r["action"] for r in read_jsonl(folder / "trajectory.jsonl") if r["kind"] == "action"]

    assert actions(replayed) == actions(imported)[: len(actions(replayed))]
    assert len(actions(replayed)) >= 1
    assert json.loads((replayed / "result.json").read_text())["exit_status"] in (
        "submitted", "autosubmission_max_steps", "autosubmission_wall_time", "exit_interrupted", "exit_cost",
        "exit_context", "exit_format", "exit_api")
