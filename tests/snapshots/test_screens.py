"""Snapshots of every screen at 120×40 and 80×24, built with the app factory the CLI uses, with the
cursor blink off and the clock frozen (``WorkbenchSettings.for_tests``).

Update after an intended change with ``pytest tests/snapshots --snapshot-update`` and look at the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.tui.app import Start, make_app
from mlgym_tui.tui.settings import WorkbenchSettings
from tests.snapshots.episode_events import T0, episode_events

SIZES = [(120, 40), (80, 24)]
SETTINGS = {"runs_dir": Path("runs"), "frozen_time": T0 + 65}


async def settle(pilot: Any, condition: Any = None) -> None:
    """Wait for the screen's data (workers, the drain timer), then for rendering to go quiet."""
    for _ in range(200):
        if condition is None or condition(pilot.app):
            break
        await pilot.pause(0.05)
    await pilot.pause(0.3)
    await pilot.wait_for_scheduled_animations()


def app_for(start: Start) -> Any:
    return make_app(WorkbenchSettings.for_tests(**SETTINGS), start)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_home(snap_compare: Any, world: Path, size: tuple[int, int]) -> None:
    assert snap_compare(app_for(Start("home")), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_watch(snap_compare: Any, world: Path, size: tuple[int, int]) -> None:
    app = app_for(Start("watch", preset=episode_events()))
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_human(snap_compare: Any, world: Path, size: tuple[int, int]) -> None:
    app = app_for(Start("human", preset=episode_events(human=True, ended=False)))
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_replay(snap_compare: Any, world: Path, size: tuple[int, int]) -> None:
    app = app_for(Start("replay", path=Path("runs/prisonersDilemma/sweep/20231114T221320Z-s0"), at="end"))

    async def run_before(pilot: Any) -> None:
        await settle(pilot, lambda app: getattr(app.screen, "loaded", False))
        await pilot.press("left")  # one step back from the end: the timeline and panels move
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_scoreboard(snap_compare: Any, world: Path, size: tuple[int, int]) -> None:
    app = app_for(Start("scoreboard", path=Path("runs")))

    async def run_before(pilot: Any) -> None:
        await settle(pilot, lambda app: getattr(app.screen, "board", None) is not None)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(snap_compare: Any, world: Path, size: tuple[int, int]) -> None:
    app = app_for(Start("watch", preset=episode_events()))

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_fleet(snap_compare: Any, world: Path, size: tuple[int, int]) -> None:
    from tests.snapshots.episode_events import write_running_fleet

    write_running_fleet(Path("runs"))
    app = app_for(Start("fleet", path=Path("runs"), poll=0.2))

    async def run_before(pilot: Any) -> None:
        await settle(pilot, lambda app: len(getattr(app.screen, "order", [])) == 4
                     and "AUP over" in getattr(app.screen, "board_text", ""))

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_watch_proposal_light(snap_compare: Any, world: Path, size: tuple[int, int]) -> None:
    """A proposal waiting for approval, shown whole (an edit's body too), readable in the light theme."""
    events = episode_events(ended=False)
    last = events[-1]
    proposal = "edit 8:8\nPROBE_RATE = 0.05\n# probe less: fewer wasted defections\nend_of_edit"
    events.append(Event(EventKind.THOUGHT, 5, {"text": "Probe less often."}, time=last.time + 1))
    events.append(Event(EventKind.INTERVENTION, 5, {"action": "approval_requested", "proposed": proposal,
                                                    "proposal": 1}, time=last.time + 2))
    app = make_app(WorkbenchSettings.for_tests(**SETTINGS, theme="mlgym-light"), Start("watch", preset=events))
    assert snap_compare(app, terminal_size=size, run_before=settle)
