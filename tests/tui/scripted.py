"""Deterministic agents and helpers for the workbench tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlgym_tui.core.agent import AgentStep
from mlgym_tui.core.task import TaskConfig
from mlgym_tui.tui.app import Start, WorkbenchApp, make_app
from mlgym_tui.tui.live import EpisodeRequest
from mlgym_tui.tui.settings import WorkbenchSettings

EDIT_FORGIVENESS = "edit 10:10\nFORGIVENESS = 0.2\nend_of_edit"


class ScriptedAgent:
    """Plays a fixed list of actions, then submits. Thoughts name the step so tests can find them."""

    name = "scripted"
    model: str | None = None

    def __init__(self, actions: list[str]) -> None:
        self.actions = list(actions)
        self.i = 0
        self.observations: list[str] = []

    def start(self, task: TaskConfig, observation: str, info: dict[str, Any]) -> None:
        self.i = 0

    def act(self, observation: str, info: dict[str, Any]) -> AgentStep:
        self.observations.append(observation)
        if self.i >= len(self.actions):
            return AgentStep("submit", thought="Scripted: done, submit.")
        action = self.actions[self.i]
        self.i += 1
        return AgentStep(action, thought=f"Scripted thought {self.i}: run `{action.splitlines()[0]}`.")

    def close(self) -> None:
        pass


class ListeningAgent(ScriptedAgent):
    """A scripted agent that takes interjections (to test the interject control)."""

    def __init__(self, actions: list[str]) -> None:
        super().__init__(actions)
        self.heard: list[str] = []

    def interject(self, text: str) -> None:
        self.heard.append(text)


def watch_app(settings: WorkbenchSettings, out: Path, agent: Callable[[], Any], **request: Any) -> WorkbenchApp:
    """The app as `mlgym-tui watch prisonersDilemma` builds it, with a scripted agent."""
    req = EpisodeRequest(task="prisonersDilemma", agent="scripted", out=out, agent_factory=agent, **request)
    return make_app(settings, Start("watch", request=req))


def human_app(settings: WorkbenchSettings, out: Path) -> WorkbenchApp:
    req = EpisodeRequest(task="prisonersDilemma", agent="human", out=out)
    return make_app(settings, Start("human", request=req))


async def wait_for(pilot: Any, condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    """Let the app run until ``condition()`` holds (fails the test after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.05)


async def settle(pilot: Any, seconds: float) -> None:
    """Let real time pass with the app running (the episode runs on its own thread)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await pilot.pause(0.05)
    await asyncio.sleep(0)
