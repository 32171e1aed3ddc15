"""Watch: a scripted agent on prisonersDilemma, live in the workbench, with a person's hands on it."""

from __future__ import annotations

import json
from pathlib import Path

from mlgym_tui.core.events import EventKind
from mlgym_tui.tui.screens.dialogs import ConfirmScreen, EditActionScreen, PromptScreen
from mlgym_tui.tui.screens.watch import WatchScreen
from mlgym_tui.tui.settings import WorkbenchSettings
from mlgym_tui.tui.widgets.shell_input import ShellInput
from tests.tui.scripted import EDIT_FORGIVENESS, ListeningAgent, ScriptedAgent, settle, wait_for, watch_app


def shell_text(screen: WatchScreen) -> str:
    return "\n".join(screen.workbench.shell.log_widget.lines)


def actions(screen: WatchScreen) -> list[str]:
    return [e.data["action"] for e in screen.events if e.kind is EventKind.ACTION]


def interventions(folder: Path) -> list[dict]:
    lines = (folder / "trajectory.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r.get("kind") == "intervention"]


async def test_panels_fill_as_events_arrive(settings: WorkbenchSettings, runs: Path) -> None:
    script = ["echo hello-from-the-agent", "open strategy.py", EDIT_FORGIVENESS, "validate"]
    app = watch_app(settings, runs, lambda: ScriptedAgent(script), paused=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, WatchScreen)
        await wait_for(pilot, lambda: screen.episode.session is not None, what="the session")
        assert "hello-from-the-agent" not in shell_text(screen)  # paused: nothing has run yet

        await pilot.press("n")  # one step
        await wait_for(pilot, lambda: "hello-from-the-agent" in shell_text(screen), what="step 1 output")
        assert "$ echo hello-from-the-agent" in shell_text(screen)
        assert "✔ exit 0" in shell_text(screen)
        assert screen.workbench.editor.model.path is None  # step 2 has not run
        assert any("Scripted thought 1" in n.thought for n in screen.workbench.reasoning.notes)

        await pilot.press("n")
        await wait_for(pilot, lambda: screen.workbench.editor.model.path is not None, what="open")
        assert screen.workbench.editor.model.path.endswith("strategy.py")
        assert screen.workbench.editor.model.lines[10].startswith("FORGIVENESS")

        await pilot.press("n")
        await wait_for(pilot, lambda: screen.workbench.editor.model.marked == {10}, what="the edit")
        assert screen.workbench.editor.model.lines[10] == "FORGIVENESS = 0.2"
        assert "edited 10" in screen.workbench.editor.subtitle()

        await pilot.press("space")  # resume: validate, then submit
        await wait_for(pilot, lambda: screen.ended and screen.episode.done.is_set(), what="the end of the episode")
        metrics = screen.workbench.metrics.model
        assert [e.final for e in metrics.evaluations] == [False, True]
        assert all(e.valid and e.score is not None for e in metrics.evaluations)
        assert "best" in screen.workbench.metrics.summary().plain
        assert screen.status_bar.model.exit_status == "submitted"
        assert "submitted" in screen.status_bar.render_status(screen.now()).plain
    kinds = [r["action"] for r in interventions(screen.episode.folder)]
    assert kinds.count("single_step") == 3 and "resume" in kinds


async def test_pause_stops_stepping(settings: WorkbenchSettings, runs: Path) -> None:
    # Long enough that a loaded machine cannot finish the script before the test stops it (limit: 50 steps).
    script = [f"echo tick-{i}; sleep 0.2" for i in range(45)]
    app = watch_app(settings, runs, lambda: ScriptedAgent(script))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: len(actions(screen)) >= 2, what="two steps")
        await pilot.press("space")
        assert screen.control.paused
        await settle(pilot, 0.5)  # the step in flight finishes
        held = len(actions(screen))
        await settle(pilot, 1.5)
        assert len(actions(screen)) == held, "the agent kept stepping while paused"
        assert "PAUSED" in screen.status_bar.render_status(screen.now()).plain
        await pilot.press("space")
        await wait_for(pilot, lambda: len(actions(screen)) > held + 2, what="stepping again after resume")
        await pilot.press("space")  # pause again, then stop from the paused state
        await pilot.press("s")
        await pilot.press("y")  # a letter does not confirm stop-and-submit
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+y")
        await wait_for(pilot, lambda: screen.ended and screen.episode.done.is_set(), what="the stop")
    result = json.loads((screen.episode.folder / "result.json").read_text())
    assert result["exit_status"] == "submitted"  # the person's submission, not an interruption
    assert result["submission"] is not None
    kinds = [r["action"] for r in interventions(screen.episode.folder)]
    assert kinds == ["pause", "resume", "pause", "stop", "dropped"]
    assert actions(screen)[-1] == "submit"


async def test_approve_mode_waits_and_runs_the_edited_action(settings: WorkbenchSettings, runs: Path) -> None:
    script = ["echo proposed-by-agent", "echo second-proposal", "echo third"]
    app = watch_app(settings, runs, lambda: ScriptedAgent(script), approve=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.awaiting is not None, what="the first proposal")
        assert screen.awaiting == "echo proposed-by-agent"
        await settle(pilot, 0.5)
        assert actions(screen) == [], "approve mode ran an action without approval"

        await pilot.press("e")
        assert isinstance(app.screen, EditActionScreen)
        app.screen.query_one("#edit-action").text = "echo edited-by-person"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "edited-by-person" in shell_text(screen), what="the edited action")
        assert actions(screen)[0] == "echo edited-by-person"
        assert "proposed-by-agent" not in shell_text(screen).replace("$ echo proposed-by-agent", "")

        await wait_for(pilot, lambda: screen.awaiting == "echo second-proposal", what="the second proposal")
        await settle(pilot, 0.5)  # decision keys within 0.3 s of a new proposal are ignored (key bursts)
        await pilot.press("r")  # reject: the agent is told and proposes again
        await wait_for(pilot, lambda: screen.awaiting == "echo third", what="the next proposal")
        await settle(pilot, 0.5)  # past the decision guard of the new proposal
        await pilot.press("y")
        await wait_for(pilot, lambda: "third" in shell_text(screen), what="the approved action")
        assert "echo second-proposal" not in actions(screen)
        await pilot.press("a")  # approve mode off: the rest runs on its own
        await wait_for(pilot, lambda: screen.ended and screen.episode.done.is_set(), what="the end")
    kinds = [r["action"] for r in interventions(screen.episode.folder)]
    assert kinds[:2] == ["approval_requested", "edited"]
    assert "rejected" in kinds and "approved" in kinds and "approve_mode" in kinds
    edited = next(r for r in interventions(screen.episode.folder) if r["action"] == "edited")
    assert edited["proposed"] == "echo proposed-by-agent" and edited["edited"] == "echo edited-by-person"


async def test_take_over_and_hand_back(settings: WorkbenchSettings, runs: Path) -> None:
    script = ["echo agent-one", "echo agent-two", "echo agent-three"]
    agent = ListeningAgent(script)
    app = watch_app(settings, runs, lambda: agent, paused=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.episode.session is not None, what="the session")
        # The agent's first proposal is made (and held by the pause) before the person takes over.
        await wait_for(pilot, lambda: agent.i >= 1, what="the agent's first proposal")
        await settle(pilot, 0.3)
        await pilot.press("ctrl+t")
        shell_input = screen.query_one(ShellInput)
        assert shell_input.display and screen.focused is shell_input
        assert "YOU" in screen.status_bar.render_status(screen.now()).plain
        await pilot.press(*"echo typed-by-person", "enter")
        await wait_for(pilot, lambda: "typed-by-person" in shell_text(screen), what="the person's command")
        assert actions(screen) == ["echo typed-by-person"]  # the agent's pending proposal was dropped

        await pilot.press("ctrl+t")  # hand back
        assert not shell_input.display
        await pilot.press("space")  # resume the agent
        await wait_for(pilot, lambda: screen.ended and screen.episode.done.is_set(), what="the end")
        assert actions(screen)[1:4] == ["echo agent-two", "echo agent-three", "submit"]
    assert any("typed-by-person" in text for text in agent.heard)  # told what the person ran
    records = interventions(screen.episode.folder)
    kinds = [r["action"] for r in records]
    assert "take_over" in kinds and "hand_back" in kinds
    thoughts = [json.loads(line) for line in (screen.episode.folder / "trajectory.jsonl").read_text().splitlines()]
    human = [t for t in thoughts if t.get("kind") == "thought" and t.get("by") == "human"]
    assert len(human) == 1


async def test_interject_reaches_the_agent(settings: WorkbenchSettings, runs: Path) -> None:
    agent = ListeningAgent(["echo one", "echo two"])
    app = watch_app(settings, runs, lambda: agent, paused=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.episode.session is not None, what="the session")
        await pilot.press("i")
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"try defecting less", "enter")
        await pilot.press("space")
        await wait_for(pilot, lambda: screen.ended and screen.episode.done.is_set(), what="the end")
    assert agent.heard == ["try defecting less"]
    assert any(r["action"] == "interject" and r["text"] == "try defecting less" for r in interventions(screen.episode.folder))
