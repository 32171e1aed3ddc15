"""Under ``serve`` a page load starts no episode: the person starts it, and the run says it came from a
browser."""

from __future__ import annotations

import json
from pathlib import Path

from mlgym_tui.commands.serve import serve_command
from mlgym_tui.tui.screens.dialogs import StartScreen
from mlgym_tui.tui.screens.home import HomeScreen
from mlgym_tui.tui.settings import WorkbenchSettings
from tests.tui.scripted import ScriptedAgent, wait_for, watch_app


def test_serve_marks_its_sessions_as_a_browser_s() -> None:
    assert serve_command(["--", "watch", "prisonersDilemma"]).startswith("MLGYM_VIA=browser ")


async def test_a_page_load_starts_nothing_until_the_person_starts(settings: WorkbenchSettings, runs: Path) -> None:
    app = watch_app(settings, runs, lambda: ScriptedAgent(["echo from-the-browser"]), via="browser")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        assert isinstance(app.screen, StartScreen)
        await pilot.press("escape")  # the person goes back: nothing ran, nothing was written
        assert isinstance(app.screen, HomeScreen)
    assert not runs.exists() or not any(runs.rglob("trajectory.jsonl"))

    app = watch_app(settings, runs, lambda: ScriptedAgent(["echo from-the-browser"]), via="browser")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        await pilot.press("enter")  # Start
        screen = app.screen
        await wait_for(pilot, lambda: screen.episode.done.is_set(), what="the episode")
    header = json.loads((screen.episode.folder / "trajectory.jsonl").read_text().splitlines()[0])
    assert header["config"]["via"] == "browser"
