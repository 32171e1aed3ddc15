"""Live control does what it shows: one proposal, one decision; what is approved is visible whole; what
is rejected stays visible; pace and the thinking spinner; keys an agent cannot take say so."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from textual import events

from mlgym_tui.core.agent import AgentStep
from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.tui.control import Decision
from mlgym_tui.tui.screens.dialogs import EditActionScreen
from mlgym_tui.tui.screens.watch import WatchScreen
from mlgym_tui.tui.settings import WorkbenchSettings
from mlgym_tui.tui.widgets.control_bar import ControlBar
from mlgym_tui.tui.widgets.reasoning_panel import ReasoningPanel
from tests.tui.scripted import EDIT_FORGIVENESS, ScriptedAgent, settle, wait_for, watch_app


def trajectory(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "trajectory.jsonl").read_text().splitlines()[1:]]


def interventions(folder: Path) -> list[dict]:
    return [r for r in trajectory(folder) if r.get("kind") == "intervention"]


def actions(screen: WatchScreen) -> list[str]:
    return [e.data["action"] for e in screen.events if e.kind is EventKind.ACTION]


async def test_a_key_burst_records_one_decision(settings: WorkbenchSettings, runs: Path) -> None:
    app = watch_app(settings, runs, lambda: ScriptedAgent(["echo approved-once"]), approve=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.awaiting == "echo approved-once", what="the proposal")
        await settle(pilot, 0.4)
        burst(app, [*["y"] * 10, "r", "r"])
        await wait_for(pilot, lambda: "echo approved-once" in actions(screen), what="the approved action")
        await wait_for(pilot, lambda: screen.awaiting == "submit", what="the next proposal")
        await settle(pilot, 0.4)

        # the edit dialog answers the proposal it showed, never a later one
        await pilot.press("e")
        dialog = app.screen
        assert isinstance(dialog, EditActionScreen) and dialog.action_text == "submit"
        screen.control.decide(Decision("approve"))  # decided meanwhile (approve mode switched off, …)
        dialog.query_one("#edit-action").text = "echo too-late"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.ended and screen.episode.done.is_set(), what="the end")
        assert "echo too-late" not in actions(screen)
    decided = [r for r in interventions(screen.episode.folder) if r["action"] in ("approved", "rejected", "edited")]
    assert [(r["action"], r["proposal"]) for r in decided] == [("approved", 1), ("approved", 2)]


async def test_the_whole_proposal_is_shown_and_a_rejected_one_stays(settings: WorkbenchSettings, runs: Path) -> None:
    script = ["open strategy.py", EDIT_FORGIVENESS.replace("0.2", "0.25\n# two lines")]
    app = watch_app(settings, runs, lambda: ScriptedAgent(script), approve=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.awaiting == "open strategy.py", what="the first proposal")
        await settle(pilot, 0.4)
        await pilot.press("y")
        await wait_for(pilot, lambda: (screen.awaiting or "").startswith("edit 10:10"), what="the edit proposal")
        await settle(pilot, 0.4)
        bar = screen.query_one(ControlBar)
        shown = _plain(bar)
        assert "FORGIVENESS = 0.25" in shown and "# two lines" in shown  # the body, before deciding
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.awaiting == "submit", what="the next proposal")
        cards = screen.workbench.reasoning.notes
        rejected = [aside for note in cards for aside in note.set_aside]
        assert rejected and rejected[0][0].startswith("✖ rejected") and "FORGIVENESS = 0.25" in rejected[0][2]
        assert "Scripted thought 2" in rejected[0][1]  # the thought stays too
        await pilot.press("a")
        await wait_for(pilot, lambda: screen.ended and screen.episode.done.is_set(), what="the end")

    # a replay of the run folder shows the rejected proposal the same way
    panel = ReasoningPanel()
    for raw in trajectory(screen.episode.folder):
        panel.apply(Event.from_dict(raw))
    replayed = [aside for note in panel.notes for aside in note.set_aside]
    assert replayed == rejected


def burst(app: Any, keys: list[str]) -> None:
    """Keys as a fast typist or a held key sends them: queued at once (``pilot.press`` waits for the
    app to go idle between keys, which on a loaded machine spaces them by seconds)."""
    for key in keys:
        app._driver.send_message(events.Key(key, key if len(key) == 1 else None))


def _plain(bar: ControlBar) -> str:
    """The text the control bar renders (every line)."""
    console = Console(width=bar.size.width or 120, record=True, file=io.StringIO())
    console.print(bar.content)
    return console.export_text()


class SlowAgent(ScriptedAgent):
    """Takes a while to answer, as a model does."""

    def act(self, observation: str, info: dict[str, Any]) -> AgentStep:
        time.sleep(4.0)
        return super().act(observation, info)


async def test_a_model_call_in_flight_shows_a_spinner_with_seconds(settings: WorkbenchSettings, runs: Path) -> None:
    app = watch_app(settings, runs, lambda: SlowAgent(["echo slow"]))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        bar = screen.query_one(ControlBar)
        await wait_for(pilot, lambda: screen.episode.agent.acting_since is not None, timeout=90,
                       what="the first model call (the episode's start is slow on a loaded machine)")
        await wait_for(pilot, lambda: bar.display and "thinking" in _plain(bar), what="the spinner")
        assert " s" in _plain(bar)
        await wait_for(pilot, lambda: screen.ended and screen.episode.done.is_set(), what="the end")


async def test_pace_spaces_the_actions_and_changes_live(settings: WorkbenchSettings, runs: Path) -> None:
    script = [f"echo paced-{i}" for i in range(20)]
    app = watch_app(settings, runs, lambda: ScriptedAgent(script), pace=1.5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: len(actions(screen)) >= 2, what="two paced actions")
        assert "PACE 1.5s" in screen.status_bar.model.flags
        await pilot.press("minus", "minus", "minus", "minus")  # 1.5 → 1 → 0.5 → 0: as fast as the agent goes
        assert screen.control.pace == 0
        await wait_for(pilot, lambda: screen.ended and screen.episode.done.is_set(), what="the end")
    events = trajectory(screen.episode.folder)
    times = [r["time"] for r in events if r.get("kind") == "action"]
    assert times[1] - times[0] >= 1.4  # paced
    assert any(r.get("action") == "pace" and r["seconds"] == 0 for r in events)


async def test_after_take_over_the_editor_shows_a_shell_change(settings: WorkbenchSettings, runs: Path) -> None:
    app = watch_app(settings, runs, lambda: ScriptedAgent(["echo one"]), paused=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.episode.session is not None, what="the session")
        said: list[str] = []
        screen.notify = lambda message, **_kw: said.append(str(message))  # type: ignore[method-assign]
        await pilot.press("i")  # this agent takes no messages: the key says so (paused: still live)
        assert any("cannot take messages" in m for m in said)
        await pilot.press("ctrl+t")
        await pilot.press(*"open strategy.py", "enter")
        editor = screen.workbench.editor
        await wait_for(pilot, lambda: editor.model.lines.get(10) == "FORGIVENESS = 0.1", what="the file")
        await pilot.press(*"sed -i s/FORGIVENESS\\ =\\ 0.1/FORGIVENESS\\ =\\ 0.4/ strategy.py", "enter")
        await wait_for(pilot, lambda: editor.model.lines.get(10) == "FORGIVENESS = 0.4", what="the change on disk")
        screen.action_stop()  # (s types into the command line while a person is in control)
        await pilot.pause(0.2)
        await pilot.press("ctrl+y")
        await wait_for(pilot, lambda: screen.ended and screen.episode.done.is_set(), what="the end")
