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
