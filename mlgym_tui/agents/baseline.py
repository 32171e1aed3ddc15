"""The baseline agent: reproduces the task's reference solution, validates it and submits.

It is how baseline scores are measured (``mlgym-tui tasks check``), and the fastest end-to-end check that
a task, its data and its evaluation work on a backend.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from mlgym_tui.core.agent import AgentStep
from mlgym_tui.core.task import TaskConfig


class BaselineAgent:
    name = "baseline"
    model: str | None = None

    def __init__(self) -> None:
        self._plan: deque[AgentStep] = deque()

    def start(self, task: TaskConfig, observation: str, info: dict[str, Any]) -> None:
        self._plan.clear()
        if task.baseline.command:
            self._plan.append(
                AgentStep(task.baseline.command, thought="Run the task's baseline to produce its submission.")
            )
        else:
            self._plan.append(
                AgentStep("ls", thought="The starter code as given is the baseline; look at the workspace.")
            )
        self._plan.append(AgentStep("validate", thought="Score the baseline submission."))
        self._plan.append(AgentStep("submit", thought="Submit the baseline."))

    def act(self, observation: str, info: dict[str, Any]) -> AgentStep:
        if not self._plan:
            return AgentStep("submit", thought="Nothing left to do; submit.")
        return self._plan.popleft()

    def close(self) -> None:
        pass
