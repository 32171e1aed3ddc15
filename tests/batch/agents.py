"""Quick agents for batch tests, importable as ``tests.batch.agents:Name`` through ``module:Class``."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from mlgym_tui.core.agent import AgentStep, Usage
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


class _PlanAgent:
    """Plays ``plan()`` then submits; subclasses pick the steps."""

    name = "plan"
    model: str | None = None

    def __init__(self, model: str | None = None, **_: Any) -> None:
        self.model = model
        self.steps: list[AgentStep] = []

    def plan(self) -> list[AgentStep]:
        return []

    def start(self, task: TaskConfig, observation: str, info: dict[str, Any]) -> None:
        self.steps = self.plan()

    def act(self, observation: str, info: dict[str, Any]) -> AgentStep:
        return self.steps.pop(0) if self.steps else AgentStep("submit")

    def close(self) -> None:
        pass


class PricedAgent(_PlanAgent):
    """Every step "costs" $0.30, as if a model had been called: for the batch's total cost limit."""

    name = "priced"

    def plan(self) -> list[AgentStep]:
        usage = Usage(tokens_in=100, tokens_out=10, cost=0.3, calls=1)
        return [AgentStep(a, usage=usage) for a in ("echo one", "echo two", "validate", "submit")]


class CallLogAgent(_PlanAgent):
    """Each ``act`` is a 0.3 s "model call" logged as ``start end`` lines to ``$MLGYM_TEST_CALL_LOG``."""

    name = "calllog"

    def act(self, observation: str, info: dict[str, Any]) -> AgentStep:
        begin = time.time()
        time.sleep(0.3)
        with open(os.environ["MLGYM_TEST_CALL_LOG"], "a") as f:
            f.write(f"{begin} {time.time()}\n")
        return super().act(observation, info)

    def plan(self) -> list[AgentStep]:
        return [AgentStep("echo thinking"), AgentStep("submit")]


class GpuProbeAgent(_PlanAgent):
    """Shows which devices its sandbox was given, and stays a moment so episodes overlap."""

    name = "gpuprobe"

    def plan(self) -> list[AgentStep]:
        return [AgentStep('echo "devices=[$CUDA_VISIBLE_DEVICES]"; sleep 0.5'), AgentStep("submit")]


class StubbornAgent(_PlanAgent):
    """Leaves a background process in its sandbox, then hangs ignoring SIGTERM: only SIGKILL stops it."""

    name = "stubborn"

    def plan(self) -> list[AgentStep]:
        return [AgentStep("(sleep 300 > /dev/null 2>&1 &)"), AgentStep("submit")]

    def act(self, observation: str, info: dict[str, Any]) -> AgentStep:
        if len(self.steps) == 1:
            import signal

            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            time.sleep(120)
        return super().act(observation, info)
