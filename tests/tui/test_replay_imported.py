"""Replays of MLGym's own runs (tests/fixtures/mlgym): every panel shows what the run did, honestly."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlgym_tui.core.formats.importing import write_imported
from mlgym_tui.core.formats.mlgym import read_traj
from mlgym_tui.tui.app import Start, make_app
from mlgym_tui.tui.screens.replay import ReplayScreen
from mlgym_tui.tui.settings import WorkbenchSettings
from tests.core.formats_helpers import FIXTURE_TRAJS
from tests.helpers import cli
from tests.tui.scripted import wait_for

FMNIST = next(p for p in FIXTURE_TRAJS if p.stem == "imageClassificationFMnist")
DILEMMA = next(p for p in FIXTURE_TRAJS if p.stem == "prisonersDilemma")


@pytest.fixture
def fmnist_run(tmp_path: Path) -> Path:
    return write_imported(read_traj(FMNIST), tmp_path / "imported")


def step_lines(screen: ReplayScreen) -> list[str]:
    """The shell's lines of the step on screen (from its step rule on)."""
    lines = list(screen.workbench.shell.log_widget.lines)
    rule = f"── step {screen.position} "
    start = max(i for i, line in enumerate(lines) if line.startswith(rule))
    return lines[start:]


async def test_imported_run_replays_with_editor_outcomes_and_markers(settings: WorkbenchSettings,
                                                                     fmnist_run: Path) -> None:
    app = make_app(settings, Start("replay", path=fmnist_run))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        await wait_for(pilot, lambda: screen.loaded, what="the trajectory")
        wb = screen.workbench
        shell_text = "\n".join(wb.shell.log_widget.lines)
        assert "✔ exit 0" not in shell_text  # MLGym records no exit codes: none is shown as success

        screen.seek(2)  # open "baseline.py"
        await pilot.pause()
        assert wb.editor.model.path == "/home/agent/workspace/baseline.py"
        assert (wb.editor.model.first, wb.editor.model.last, wb.editor.model.total) == (1, 131, 131)
        assert wb.editor.model.lines[1] == "import random" and wb.editor.model.marked == set()
        assert wb.editor.border_title.startswith("Editor · baseline.py")

        screen.seek(3)  # a refused edit: the file is unchanged, the step is a failure
        await pilot.pause()
        assert wb.editor.model.lines[2] == "" and wb.editor.model.marked == set()
        assert step_lines(screen)[-1].startswith("✖ edit refused (exit code not recorded)")

        screen.seek(4)  # edit 2:2 applied
        await pilot.pause()
        assert wb.editor.model.marked == {2}
        assert wb.editor.model.lines[2] == "from torchvision import transforms"
        assert "edited 2" in str(wb.editor.border_subtitle)

        screen.seek(1)  # ls -a: nothing says whether it worked
        await pilot.pause()
        assert step_lines(screen)[-1].startswith("? exit unknown (not recorded)")
        summary = wb.metrics.summary().plain
        assert "cost known at the end" in summary and "no model calls" not in summary
        assert "$ at end" in screen.status_bar.render_status(0).plain

        await pilot.press("x")  # next error: the refused edit
        assert screen.position == 3
        await pilot.press("x", "x")  # the second refused edit, then the validation that found no artefact
        assert screen.position == 7
        assert 7 in screen.timeline.state.validations and 7 in screen.timeline.state.errors
        await pilot.press("x")  # python baseline.py crashed with a traceback
        assert screen.position == 8
        assert step_lines(screen)[-1].startswith("✖ Python traceback (exit code not recorded)")
        assert wb.shell.border_subtitle == "step 8 · $ python baseline.py"

        await pilot.press("end")
        summary = wb.metrics.summary().plain
        assert "$0.3838" in summary and "74,262 tokens" in summary
        assert "$0.3838" in screen.status_bar.render_status(0).plain


async def test_a_replay_opened_at_an_edit_shows_the_edited_lines(settings: WorkbenchSettings,
                                                                fmnist_run: Path) -> None:
    """Opened at step 6 (``edit 27:29`` of a 131-line file), the first render shows the edit, as stepping
    there does: the editor was filled before its first layout, when it had no height to scroll by."""
    app = make_app(settings, Start("replay", path=fmnist_run, at=6))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        await wait_for(pilot, lambda: screen.loaded, what="the trajectory")
        await pilot.pause()
        editor = screen.workbench.editor
        view = editor.query_one("#code-view")
        first_marked = min(editor.model.marked) - editor.model.first  # row of line 27
        assert editor.model.marked and 27 in editor.model.marked
        assert view.scroll_y <= first_marked < view.scroll_y + view.size.height, (view.scroll_y, view.size)
        shown_first = view.scroll_y
        screen.seek(5)
        screen.seek(6)  # stepping there again scrolls to the same place
        await pilot.pause()
        assert view.scroll_y == shown_first


async def test_every_edit_of_a_run_is_marked_in_the_editor(settings: WorkbenchSettings, tmp_path: Path) -> None:
    folder = write_imported(read_traj(DILEMMA), tmp_path / "imported")
    app = make_app(settings, Start("replay", path=folder))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.loaded, what="the trajectory")
        editor = screen.workbench.editor
        screen.seek(1)
        await pilot.pause()
        assert editor.model.path == "/home/agent/workspace/strategy.py" and editor.model.total == 33
        screen.seek(2)  # edit 5:33 rewrote the strategy as 13 lines
        await pilot.pause()
        assert editor.model.total == 17 and editor.model.marked == set(range(5, 18))
        screen.seek(10)  # the last edit, 14:19 → 7 lines
        await pilot.pause()
        assert editor.model.marked == set(range(14, 21)) and editor.model.total == 20
        assert screen.timeline.state.validations == {3, 5, 7, 9, 11, 12}
        assert screen.timeline.state.errors == set()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MLGYM_CACHE_DIR", str(folder))
    return folder


@pytest.mark.parametrize("source", ["traj", "raw-folder"])
async def test_replay_opens_a_traj_file_or_a_raw_mlgym_folder(settings: WorkbenchSettings, runs: Path, cache: Path,
                                                              source: str) -> None:
    path = DILEMMA if source == "traj" else DILEMMA.parent
    app = make_app(settings, Start("replay", path=path, at="end"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        await wait_for(pilot, lambda: screen.loaded, what="the imported trajectory")
        assert screen.last_step == 12 and screen.status_bar.model.exit_status == "submitted"
        assert screen.status_bar.model.task == "prisonersDilemma"
        assert [e.score for e in screen.workbench.metrics.model.evaluations][-1] == pytest.approx(2.33095, abs=1e-4)
        assert screen.path.is_relative_to(cache / "imported")
    assert not runs.exists()  # replaying is not importing: the user's runs are untouched
    entries = list((cache / "imported").iterdir())
    assert len(entries) == 1
    from mlgym_tui.core.formats.replayable import replayable

    assert replayable(path) == screen.path  # opened again: the cached import, not a new one
    assert list((cache / "imported").iterdir()) == entries


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("README.md", "# a readme\n", "not a trajectory (line 1 is not a trajectory header)"),
    ("broken.traj", '{"trajectory": [{"action": "ls"', "not valid JSON"),
    ("empty-folder", None, "no trajectory here"),
])
def test_replay_refuses_what_is_not_a_run_in_one_line(tmp_path: Path, name: str, content: str | None,
                                                       reason: str) -> None:
    path = tmp_path / name
    if content is None:
        path.mkdir()
    else:
        path.write_text(content)
    proc = cli("replay", str(path), env={"MLGYM_CACHE_DIR": str(tmp_path / "cache")})
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and reason in proc.stderr, proc.stderr
    assert str(path) in proc.stderr


def test_recent_runs_date_an_imported_run_by_its_own_start(tmp_path: Path) -> None:
    import json
    import os

    from mlgym_tui.tui.screens.home import recent_runs

    traj = tmp_path / "src" / DILEMMA.parent.name / DILEMMA.name
    traj.parent.mkdir(parents=True)
    traj.write_bytes(DILEMMA.read_bytes())
    (traj.parent / "results.json").write_bytes((DILEMMA.parent / "results.json").read_bytes())
    os.utime(traj, (1_600_000_000, 1_600_000_000))  # MLGym wrote it in September 2020
    folder = write_imported(read_traj(traj), tmp_path / "runs")
    started = json.loads((folder / "result.json").read_text())["started"]
    assert started.startswith("2020-09-13")
    [row] = recent_runs(tmp_path / "runs")
    assert row.started == started[:16].replace("T", " ") and row.status == "submitted"
    assert (folder / "trajectory.jsonl").stat().st_mtime < 1_600_000_000  # sorted by when it ran, not imported


async def test_a_huge_output_keeps_its_step_rule_and_command(settings: WorkbenchSettings, tmp_path: Path) -> None:
    from mlgym_tui.core.events import Event, EventKind
    from mlgym_tui.core.trajectory import TrajectoryRecorder

    folder = tmp_path / "run"
    folder.mkdir()
    rec = TrajectoryRecorder(folder / "trajectory.jsonl", {"task": "prisonersDilemma", "agent": "x"})
    rec(Event(EventKind.EPISODE_STARTED, 0, {"task": "prisonersDilemma", "agent": "x", "backend": "local"}, 1.0))
    rec(Event(EventKind.ACTION, 1, {"action": "python train.py"}, 2.0))
    rec(Event(EventKind.OUTPUT, 1, {"text": "".join(f"epoch {i}\n" for i in range(56_488))}, 3.0))
    rec(Event(EventKind.OBSERVATION, 1, {"text": "…", "exit_code": 0, "duration": 1.0, "tool": None}, 3.0))
    rec.close()
    app = make_app(settings, Start("replay", path=folder, follow=False))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.loaded and not screen.workbench.shell._backlog, what="the output")
        lines = list(screen.workbench.shell.log_widget.lines)
        rule = next(i for i, line in enumerate(lines) if line.startswith("── step 1 "))
        assert lines[rule + 1] == "$ python train.py" and lines[rule + 2] == "epoch 0"
        cut = next(i for i, line in enumerate(lines) if line.startswith("[… "))
        assert lines[cut - 1] == "epoch 199" and "51,488 lines of this output not shown" in lines[cut]
        assert lines[-2] == "epoch 56487" and lines[-1].startswith("✔ exit 0")
        assert not any("scrolled past unseen" in line for line in lines)
        assert screen.workbench.shell.border_subtitle == "step 1 · $ python train.py"


async def test_the_validation_chart_keeps_its_room_beside_the_cost_chart(settings: WorkbenchSettings,
                                                                        fmnist_run: Path) -> None:
    app = make_app(settings, Start("replay", path=fmnist_run, at="end"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.loaded, what="the trajectory")
        await pilot.pause()
        metrics = screen.workbench.metrics
        score = metrics.query_one("#score-plot")
        usage = metrics.query_one("#usage-plot")
        assert usage.display and metrics.model.usage  # the run's cost, known at its last step
        assert score.size.height >= 8 and score.size.height > usage.size.height
        assert metrics._last_step() == screen.last_step == 12  # both x axes end at the run's last step
