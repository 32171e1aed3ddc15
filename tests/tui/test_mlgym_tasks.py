"""Tasks from an MLGym checkout in the workbench: the home screen says where each comes from, and a run of
one replays like any other."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable

from mlgym_tui.agents.baseline import BaselineAgent
from mlgym_tui.core.runner import EpisodeSpec, run_episode
from mlgym_tui.core.task_sources import load_task
from mlgym_tui.tui.app import Start, make_app
from mlgym_tui.tui.live import EpisodeRequest
from mlgym_tui.tui.screens.home import HomeScreen
from mlgym_tui.tui.screens.human import HumanScreen
from mlgym_tui.tui.screens.replay import ReplayScreen
from mlgym_tui.tui.settings import WorkbenchSettings
from tests.helpers import PROJECT
from tests.tui.scripted import wait_for

CHECKOUT = PROJECT / "tests" / "fixtures" / "mlgym_checkout"


@pytest.fixture
def with_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "generic-requirements.txt"
    empty.write_text("")
    monkeypatch.setenv("MLGYM_GENERIC_REQUIREMENTS", str(empty))
    monkeypatch.setenv("MLGYM_TASKS_DIR", f"{CHECKOUT}:")  # the checkout, then our own tasks


async def test_home_lists_checkout_tasks_as_mlgym_s_beside_ours(with_checkout: None, runs: Path) -> None:
    app = make_app(WorkbenchSettings.for_tests(runs_dir=runs), Start("home"))
    async with app.run_test(size=(140, 40)):
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert {"prisonersDilemma", "mlgym:matchingPennies", "mlgym:tinyRegression"} <= set(home.tasks)
        table = home.query_one("#tasks-table", DataTable)
        row = [str(cell) for cell in table.get_row("mlgym:matchingPennies")]
        assert row[1] == "-0.9 (MLGym's)" and row[5] == "MLGym"  # baseline right after the name
        ours = [str(cell) for cell in table.get_row("prisonersDilemma")]
        assert "MLGym" not in ours[1] and ours[5] == "real"


async def test_a_run_of_an_mlgym_task_replays(with_checkout: None, tmp_path: Path, runs: Path) -> None:
    folder, result = run_episode(
        EpisodeSpec(task=load_task("mlgym:matchingPennies"), agent=BaselineAgent(), out=tmp_path / "recorded")
    )
    assert result.final_score == -0.9
    app = make_app(WorkbenchSettings.for_tests(runs_dir=runs), Start("replay", path=folder, at="end"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        await wait_for(pilot, lambda: screen.loaded, what="the trajectory")
        assert screen.status_bar.model.task == "mlgym:matchingPennies"
        assert screen.status_bar.model.exit_status == "submitted"
        evaluations = screen.workbench.metrics.model.evaluations
        assert [e.final for e in evaluations] == [False, True]


async def test_a_person_attempts_an_mlgym_task_in_the_workbench(with_checkout: None, runs: Path) -> None:
    request = EpisodeRequest(task="mlgym:matchingPennies", agent="human", out=runs)
    app = make_app(WorkbenchSettings.for_tests(runs_dir=runs), Start("human", request=request))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, HumanScreen)
        await wait_for(pilot, lambda: screen.episode.session is not None, what="the session")
        # The episode's start reaches the status bar through the feed, a drain tick after the session.
        await wait_for(pilot, lambda: screen.status_bar.model.task != "—", what="the task in the status bar")
        assert screen.status_bar.model.task == "mlgym:matchingPennies"
        await pilot.press(*"open strategy.py", "enter")
        editor = screen.editor
        await wait_for(pilot, lambda: editor.loaded_path is not None, what="the file in the editor")
        editor.area.text = "def row_strategy(history):\n    return 0\n"
        editor.area.focus()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not editor.dirty, what="the save")
        await pilot.press("f5")
        metrics = screen.workbench.metrics
        await wait_for(pilot, lambda: bool(metrics.model.evaluations), what="the validation")
        assert metrics.model.evaluations[0].score == 1.0  # MLGym's evaluate.py imported the saved strategy
