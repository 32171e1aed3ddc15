"""Replay: the timeline moves through a recorded run and the panels show each step's state; a run folder
that is still being written is followed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.core.runner import EpisodeSpec, run_episode
from mlgym_tui.core.task_sources import load_task
from mlgym_tui.core.trajectory import TrajectoryRecorder
from mlgym_tui.tui.app import Start, make_app
from mlgym_tui.tui.screens.replay import ReplayScreen
from mlgym_tui.tui.settings import WorkbenchSettings
from tests.tui.scripted import EDIT_FORGIVENESS, ScriptedAgent, wait_for

SCRIPT = ["echo first-step", "open strategy.py", EDIT_FORGIVENESS, "validate", "echo after-validation"]


@pytest.fixture
def recorded_run(tmp_path: Path) -> Path:
    """A real episode of a scripted agent on prisonersDilemma, recorded by the core."""
    folder, _result = run_episode(
        EpisodeSpec(task=load_task("prisonersDilemma"), agent=ScriptedAgent(SCRIPT), out=tmp_path / "recorded")
    )
    return folder


def last_command(screen: ReplayScreen) -> str:
    commands = [line for line in screen.workbench.shell.log_widget.lines if line.startswith("$ ")]
    return commands[-1] if commands else ""


async def test_timeline_moves_through_the_steps(settings: WorkbenchSettings, recorded_run: Path) -> None:
    app = make_app(settings, Start("replay", path=recorded_run))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        await wait_for(pilot, lambda: screen.loaded, what="the trajectory")
        assert screen.position == 0 and screen.last_step == 6  # a finished run opens at its start
        assert screen.timeline.state.validations  # the marks of the whole run are on the timeline already
        wb = screen.workbench

        await pilot.press("end")
        assert screen.position == screen.last_step == 6  # the final state: 5 actions + submit
        assert screen.status_bar.model.exit_status == "submitted"

        await pilot.press("home")
        assert screen.position == 0 and last_command(screen) == ""
        assert wb.editor.model.path is None and wb.metrics.model.evaluations == []
        assert wb.reasoning.notes[0].title == "Task"

        await pilot.press("right")
        assert screen.position == 1 and last_command(screen) == "$ echo first-step"
        assert "first-step" in wb.shell.log_widget.lines

        await pilot.press("right")
        assert last_command(screen) == "$ open strategy.py"
        assert wb.editor.model.path.endswith("strategy.py") and wb.editor.model.marked == set()

        await pilot.press("right")
        assert wb.editor.model.marked == {10} and wb.editor.model.lines[10] == "FORGIVENESS = 0.2"
        assert wb.metrics.model.evaluations == []

        await pilot.press("v")  # jump to the next validation
        assert screen.position == 4 and len(wb.metrics.model.evaluations) == 1
        assert wb.reasoning.notes[-1].action == "validate"

        await pilot.press("left", "left")  # backwards: the panels forget what came later
        assert screen.position == 2 and wb.editor.model.marked == set()
        assert wb.metrics.model.evaluations == []

        await pilot.press("end")
        assert screen.position == 6 and [e.final for e in wb.metrics.model.evaluations] == [False, True]

        await pilot.press("slash")
        await pilot.press(*"after-valid", "enter")
        assert screen.position == 5 and last_command(screen) == "$ echo after-validation"

        await pilot.press("home", "space")  # play
        await wait_for(pilot, lambda: screen.position == screen.last_step, what="playing to the end")
        assert screen.timeline.state.playing is False


def _event(kind: EventKind, step: int, **data: object) -> Event:
    return Event(kind=kind, step=step, data=dict(data), time=1_700_000_000.0 + step)


async def test_a_run_being_written_is_followed(settings: WorkbenchSettings, tmp_path: Path) -> None:
    folder = tmp_path / "live-run"
    folder.mkdir()
    recorder = TrajectoryRecorder(folder / "trajectory.jsonl", {"task": "prisonersDilemma", "agent": "scripted"})
    recorder(_event(EventKind.EPISODE_STARTED, 0, task="prisonersDilemma", agent="scripted", backend="local",
                    seed=0, max_steps=30, metric="Score", direction="max", baseline=2.39))
    recorder(_event(EventKind.ACTION, 1, action="echo one"))
    recorder(_event(EventKind.OUTPUT, 1, text="one\n"))
    recorder(_event(EventKind.OBSERVATION, 1, text="one", exit_code=0, duration=0.01, tool=None))
    app = make_app(settings, Start("replay", path=folder))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.loaded, what="the trajectory")
        assert screen.last_step == 1 and screen.timeline.state.following
        recorder(_event(EventKind.ACTION, 2, action="echo two"))
        recorder(_event(EventKind.OUTPUT, 2, text="tw"))  # a chunk that ends mid-line
        await wait_for(pilot, lambda: screen.last_step == 2, what="the new step")
        recorder(_event(EventKind.OUTPUT, 2, text="o\n"))
        recorder(_event(EventKind.OBSERVATION, 2, text="two", exit_code=3, duration=0.01, tool=None))
        await wait_for(pilot, lambda: "✖ exit 3 · 0.01 s" in screen.workbench.shell.log_widget.lines, what="step 2")
        assert "two" in screen.workbench.shell.log_widget.lines
        assert 2 in screen.timeline.state.errors
        recorder(_event(EventKind.EPISODE_ENDED, 2, exit_status="exit_interrupted", score=None, steps=2,
                        wall_time=2.0, cost=0.0, tokens_in=0, tokens_out=0))
        recorder.close()
        (folder / "result.json").write_text(json.dumps({"exit_status": "exit_interrupted"}))
        await wait_for(pilot, lambda: screen.timeline.state.finished and not screen.timeline.state.following,
                       what="the end of following")
        assert screen.status_bar.model.exit_status == "exit_interrupted"


async def test_replay_reports_a_missing_trajectory(settings: WorkbenchSettings, tmp_path: Path) -> None:
    app = make_app(settings, Start("replay", path=tmp_path / "nothing-here"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MessageScreen", what="the error")


async def test_memory_notes_appear_in_the_reasoning_panel(settings: WorkbenchSettings, tmp_path: Path) -> None:
    script = ["memory_write forgiveness 0.2 looks promising", "memory_read forgiveness"]
    folder, _ = run_episode(EpisodeSpec(task=load_task("prisonersDilemma"), agent=ScriptedAgent(script),
                                        out=tmp_path / "mem", memory=True))
    app = make_app(settings, Start("replay", path=folder, at="end"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.loaded, what="the trajectory")
        notes = [n for card in screen.workbench.reasoning.notes for n in card.notes]
        assert any(n.startswith("✎ memory note: forgiveness 0.2") for n in notes), notes
        assert any(n.startswith("⌕ memory read “forgiveness”: 1 notes") for n in notes), notes


async def test_a_resized_terminal_lays_the_screen_out_again(settings: WorkbenchSettings, recorded_run: Path) -> None:
    """The episode screens drop Textual's repeated Resize at the size just laid out; a real one is
    still laid out: wide enough, the four panels stand side by side, and back in a grid when narrower."""
    app = make_app(settings, Start("replay", path=recorded_run))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        await wait_for(pilot, lambda: screen.loaded, what="the trajectory")
        await pilot.pause()
        wb = screen.workbench
        assert wb.effective_layout() == "grid" and wb.shell.size.width < 70
        await pilot.resize_terminal(240, 50)
        await pilot.pause()
        await pilot.pause()
        assert wb.effective_layout() == "columns" and screen.size == (240, 50)
        assert [p.region.y for p in wb.panels] == [wb.region.y] * 4  # one row
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        await pilot.pause()
        assert wb.effective_layout() == "grid" and screen.size == (120, 40)
        assert len({p.region.y for p in wb.panels}) == 2


async def test_a_replay_that_opens_at_once_shows_its_first_step_whole_in_one_paint(
    settings: WorkbenchSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run is read while the screen is composed: the reasoning cards come with the panel and the
    shell writes its whole backlog (6,000 lines, more than one flood batch) at once, so the screen is
    laid out and painted once instead of again for each mount and batch."""
    folder = tmp_path / "long-output"
    folder.mkdir()
    recorder = TrajectoryRecorder(folder / "trajectory.jsonl", {"task": "prisonersDilemma", "agent": "scripted"})
    recorder(_event(EventKind.EPISODE_STARTED, 0, task="prisonersDilemma", agent="scripted", backend="local",
                    seed=0, max_steps=30, metric="Score", direction="max", baseline=2.39))
    for step in (1, 2):
        recorder(_event(EventKind.THOUGHT, step, text=f"thinking about step {step}"))
        recorder(_event(EventKind.ACTION, step, action=f"python train.py --step {step}"))
        recorder(_event(EventKind.OUTPUT, step, text="".join(f"epoch {i} loss 0.5\n" for i in range(3000))))
        recorder(_event(EventKind.OBSERVATION, step, text="", exit_code=0, duration=1.0, tool=None))
    recorder(_event(EventKind.EPISODE_ENDED, 2, exit_status="submitted", score=2.5, steps=2, wall_time=2.0,
                    cost=0.0, tokens_in=0, tokens_out=0))
    recorder.close()
    (folder / "result.json").write_text(json.dumps({"exit_status": "submitted"}))
    written: list[int] = []  # lines in the shell when the screen has opened the run, before any tick
    opened = ReplayScreen._opened

    def opened_and_counted(self: ReplayScreen, *args: object) -> None:
        opened(self, *args)  # type: ignore[arg-type]
        written.append(len(self.workbench.shell.log_widget.lines))

    monkeypatch.setattr(ReplayScreen, "_opened", opened_and_counted)
    app = make_app(settings, Start("replay", path=folder, at="end"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        await wait_for(pilot, lambda: screen.loaded, what="the trajectory")
        assert written and written[0] >= 6000
        steps = [card.step for card in screen.workbench.reasoning.query("StepCard")]
        assert steps[-1] == 2 and 1 in steps
