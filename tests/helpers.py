"""Small agents and utilities for tests (importable as ``tests.helpers:Name`` by the CLI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from mlgym_tui.core.agent import AgentStep
from mlgym_tui.core.task import TaskConfig

PROJECT = Path(__file__).resolve().parent.parent


class SlowAgent:
    """Runs a long command so a test can kill the process mid-episode."""

    name = "slow"
    model = None

    def __init__(self) -> None:
        self.n = 0

    def start(self, task: TaskConfig, observation: str, info: dict[str, Any]) -> None:
        self.n = 0

    def act(self, observation: str, info: dict[str, Any]) -> AgentStep:
        self.n += 1
        if self.n == 1:
            return AgentStep("echo warming up", thought="first a quick command")
        return AgentStep("sleep 120", thought="then a long one")

    def close(self) -> None:
        pass


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``mlgym-tui`` as a user would, in a subprocess."""
    full_env = {**os.environ, "PYTHONPATH": str(PROJECT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "mlgym_tui.cli", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=PROJECT)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


class _ScriptedAgent:
    """Plays a fixed list of actions, then submits."""

    name = "scripted"
    model = None
    script: tuple[str, ...] = ()

    def __init__(self, **_: Any) -> None:
        self.queue: list[str] = []

    def start(self, task: TaskConfig, observation: str, info: dict[str, Any]) -> None:
        self.queue = list(self.script)

    def act(self, observation: str, info: dict[str, Any]) -> AgentStep:
        return AgentStep(self.queue.pop(0) if self.queue else "submit", thought="scripted")

    def close(self) -> None:
        pass


class NoteThenSleepAgent(_ScriptedAgent):
    script = ("memory_write A forgiveness of 0.3 beat the baseline by 0.1", "sleep 120")


class RecallAgent(_ScriptedAgent):
    script = ("memory_read what helped against the opponents",)


class SteadyAgent:
    """Many short steps (a fleet or a controller can watch it move), an interjection echoed as a
    command; submits after ``steps`` steps."""

    name = "steady"
    model = None
    can_interject = True

    def __init__(self, steps: int = 200, **_: Any) -> None:
        self.steps = int(steps)
        self.n = 0
        self.messages: list[str] = []

    def start(self, task: TaskConfig, observation: str, info: dict[str, Any]) -> None:
        self.n = 0

    def interject(self, text: str) -> None:
        self.messages.append(text)

    def act(self, observation: str, info: dict[str, Any]) -> AgentStep:
        self.n += 1
        if self.messages:
            return AgentStep(f"echo heard: {self.messages.pop(0)}", thought="a person wrote to me")
        if self.n % 5 == 0:
            return AgentStep("validate", thought="check the score")
        if self.n >= self.steps:
            return AgentStep("submit", thought="done")
        return AgentStep("sleep 0.2", thought="a short step")

    def close(self) -> None:
        pass


class OrphanAgent(_ScriptedAgent):
    """Leaves a ``setsid`` process behind, then runs a long command: a kill must end both."""

    name = "orphan"

    def __init__(self, **_: Any) -> None:
        super().__init__()
        self.marker = os.environ.get("ORPHAN_MARKER", "31999")

    def start(self, task: TaskConfig, observation: str, info: dict[str, Any]) -> None:
        self.queue = [f"setsid sleep {self.marker}1 >/dev/null 2>&1 & echo started", f"sleep {self.marker}2"]


class ChattyAgent(_ScriptedAgent):
    """Prints 90 kB per step: a run folder on a small disk fills up within a few steps."""

    name = "chatty"
    script = tuple("head -c 90000 /dev/zero | tr '\\0' x" for _ in range(40))
