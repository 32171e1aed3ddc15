"""The Scoreboard screen: k and τ_max set on the screen, notes visible, the runs left out counted (Pilot)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from mlgym_tui.core.scoring import BASELINE
from mlgym_tui.tui.app import Start, make_app
from mlgym_tui.tui.screens.scoreboard import ScoreboardScreen
from mlgym_tui.tui.settings import WorkbenchSettings
from tests.helpers import PROJECT
from tests.tui.scripted import wait_for

MINI = PROJECT / "tests" / "fixtures" / "mlgym_mini"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The hand-made MLGym runs, plus one of them again through a symlink (a duplicate)."""
    root = tmp_path / "runs"
    shutil.copytree(MINI, root / "raw")
    (root / "again").symlink_to(root / "raw" / next(p.name for p in MINI.glob("*_run_0") if "3SAT" in p.name))
    return root


async def test_k_and_tau_max_are_set_on_the_screen_and_left_out_runs_are_counted(
    folder: Path, tmp_path: Path
) -> None:
    app = make_app(WorkbenchSettings.for_tests(runs_dir=folder), Start("scoreboard", path=folder))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ScoreboardScreen)
        await wait_for(pilot, lambda: screen.board is not None, what="the first board")
        board = screen.board
        assert board is not None and board.attempts is None and board.runs == 6
        summary = str(screen.query_one("#scoreboard-summary", Static).render())
        assert "6 of 7 runs scored" in summary and "1 same source counted once" in summary

        await pilot.press("k")
        assert screen.focused is screen.query_one("#scoreboard-k", Input)
        await pilot.press("2", "enter")
        await wait_for(pilot, lambda: screen.board is not None and screen.board.attempts == 2, what="k = 2")
        board = screen.board
        # Hand-computed in tests/core/test_scoring_mlgym.py: k = 2 gives the baseline 0.3225490.
        assert board.measures["best_attempt"].aup[BASELINE] == pytest.approx(0.3225490, abs=1e-7)
        summary = str(screen.query_one("#scoreboard-summary", Static).render())
        assert "5 of 7 runs scored" in summary and "1 beyond the first k attempts" in summary
        notes = str(screen.query_one("#notes-text", Static).render())
        assert "Left out: 1 beyond the first k attempts" in notes and "counted once" in notes

        await pilot.press("t")
        await pilot.press("1", "enter")
        await wait_for(pilot, lambda: screen.board is not None and screen.board.measures["best_attempt"].tau_max == 1.0,
                       what="tau_max = 1")
        assert not screen.board.measures["best_attempt"].tau_max_auto

        tau = screen.query_one("#scoreboard-tau", Input)
        tau.focus()
        tau.value = "-3"
        await pilot.press("enter")
        await pilot.pause()
        assert screen.tau_max == 1.0  # a bad value changes nothing
