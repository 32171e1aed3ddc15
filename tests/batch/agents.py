"""Quick agents for batch tests, importable as ``tests.batch.agents:Name`` through ``module:Class``."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from mlgym_tui.agents.base import AgentStep
from mlgym_tui.core.task import TaskConfig

HOLD_DIR_ENV = "MLGYM_TEST_HOLD_DIR"


class HoldAgent:
    """Validates and submits the starter code, like ``baseline``; can be held mid-episode by a test.

    When ``$MLGYM_TEST_HOLD_DIR`` is set, its first step writes ``<task>.<pid>.pid`` there (the
    worker process running the episode) and then waits while ``hold`` exists in that folder, so a test
    can kill or interrupt an episode that is certainly in the middle.
    """

    name = "hold"
    model: str | None = None

    def __init__(self, **_: Any) -> None:
        self.plan: list[str] = []
        self.task_id = ""

    def start(self, task: TaskConfig, observation: str, info: dict[str, Any]) -> None:
        self.task_id = task.id
        self.plan = ["cat strategy.py > /dev/null", "validate", "submit"]

    def act(self, observation: str, info: dict[str, Any]) -> AgentStep:
        folder = os.environ.get(HOLD_DIR_ENV)
        if folder and len(self.plan) == 3:
            hold = Path(folder)
            (hold / f"{self.task_id}.{os.getpid()}.pid").touch()
            deadline = time.monotonic() + 120
            while (hold / "hold").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        return AgentStep(self.plan.pop(0) if self.plan else "submit", thought="hold")

    def close(self) -> None:
        pass
