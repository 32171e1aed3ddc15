"""The replay agent: re-executes a recorded trajectory's actions in a fresh environment, and can fork.

It reads our ``trajectory.jsonl`` (runs of this project, or MLGym / SWE-agent trajectories imported into
that format) and proposes the recorded actions in order, each with its recorded reasoning, so the new
run's observations can be compared with the old ones step by step. Replays cost nothing: no model is
called.

*Fork*: with ``until=N`` it replays steps 1..N and then hands the episode to another agent (or a
person's agent in the workbench), which starts on the task as usual and is told, through ``interject``
when it supports it, which actions were already taken.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlgym_tui.core.agent import Agent, AgentStep
from mlgym_tui.core.errors import UserError
from mlgym_tui.core.events import EventBus, EventKind
from mlgym_tui.core.exits import EpisodeEnd, ExitStatus
from mlgym_tui.core.task import TaskConfig
from mlgym_tui.core.trajectory import TrajectoryError, read_trajectory

_SUMMARY_ACTIONS = 30


def recorded_steps(path: Path) -> tuple[dict[str, Any], list[AgentStep], str | None]:
    """The header, the executed actions with their reasoning, and the recorded exit status."""
    try:
        trajectory = read_trajectory(path)
    except TrajectoryError as exc:
        raise UserError(str(exc)) from exc
    thoughts: dict[int, str] = {}
    steps: list[AgentStep] = []
    status: str | None = None
    for event in trajectory.events:
        if event.kind is EventKind.THOUGHT:
            thoughts[event.step] = str(event.data.get("text", ""))
        elif event.kind is EventKind.ACTION:
            steps.append(AgentStep(str(event.data.get("action", "")), thought=thoughts.get(event.step, "")))
        elif event.kind is EventKind.EPISODE_ENDED:
            status = event.data.get("exit_status")
    return trajectory.header, steps, status


class ReplayAgent:
    """Replays ``path``; with ``until`` and ``then``, a fork: steps 1..until replayed, then ``then`` acts."""

    def __init__(self, path: str | Path, until: int | None = None, then: Agent | None = None) -> None:
        self.path = Path(path)
        self.header, self.steps, self.recorded_status = recorded_steps(self.path)
        self.until = len(self.steps) if until is None else max(0, min(int(until), len(self.steps)))
        self.then = then
        self.name = "replay" if then is None else f"fork-{then.name}"
        self.model: str | None = None if then is None else then.model
        self._index = 0
        self._task: TaskConfig | None = None
        self._task_text = ""
        self._handed_over = False
        self._pending: list[str] = []

    @classmethod
    def from_options(cls, options: dict[str, Any], make_then: Callable[[str, list[str]], Agent]) -> ReplayAgent:
        """From ``-c path=RUN -c until=N -c then=AGENT [-c then_config=[...]]`` (``mlgym-tui run``).

        ``make_then(name, layers)`` builds the agent that takes over; the registry passes its own
        ``make_agent``, so this module needs no import of the registry (which imports it).
        """
        unknown = set(options) - {"path", "until", "then", "then_config"}
        if unknown:
            raise UserError(f"replay agent: unknown option(s) {sorted(unknown)}; use path, until, then, then_config")
        if "path" not in options:
            raise UserError("replay agent: give the recording with -c path=RUN_FOLDER_OR_TRAJECTORY")
        then = None
        if options.get("then"):
            then = make_then(str(options["then"]), list(options.get("then_config") or []))
        until = options.get("until")
        return cls(options["path"], until=None if until is None else int(until), then=then)

    # -- protocol --------------------------------------------------------------------------------
    def bind_bus(self, bus: EventBus) -> None:
        bind = getattr(self.then, "bind_bus", None)
        if callable(bind):
            bind(bus)

    def start(self, task: TaskConfig, observation: str, info: dict[str, Any]) -> None:
        recorded = self.header.get("task")
        if recorded and recorded != task.id:
            raise UserError(f"{self.path}: the recording is of task {recorded!r}, not {task.id!r}")
        self._task, self._task_text = task, observation
        self._index = 0
        self._handed_over = False

    def interject(self, text: str) -> None:
        """Passed on to the agent that takes over (replayed steps are fixed)."""
        interject = getattr(self.then, "interject", None)
        if self._handed_over and callable(interject):
            interject(text)
        else:
            self._pending.append(text)

    def act(self, observation: str, info: dict[str, Any]) -> AgentStep:
        if self._handed_over:
            assert self.then is not None
            return self.then.act(observation, info)
        if self._index < self.until:
            step = self.steps[self._index]
            self._index += 1
            return AgentStep(step.action, thought=step.thought, extra={"replayed": self._index})
        if self.then is not None:
            return self._hand_over(observation, info)
        status = ExitStatus.INTERRUPTED
        if self.recorded_status and self.recorded_status in ExitStatus._value2member_map_:
            status = ExitStatus(self.recorded_status)
        raise EpisodeEnd(f"the replay reached the end of the recording ({len(self.steps)} actions)", status)

    def close(self) -> None:
        if self.then is not None:
            self.then.close()

    # -- fork ------------------------------------------------------------------------------------------
    def _hand_over(self, observation: str, info: dict[str, Any]) -> AgentStep:
        assert self.then is not None and self._task is not None
        self.then.start(self._task, self._task_text, info)
        self._handed_over = True
        interject = getattr(self.then, "interject", None)
        if callable(interject):
            done = self.steps[: self.until]
            shown = done[-_SUMMARY_ACTIONS:]
            lines = [f"{i}. {s.action.splitlines()[0] if s.action else ''}" for i, s in
                     enumerate(shown, start=len(done) - len(shown) + 1)]
            interject(
                f"This episode is a fork: {len(done)} step(s) were already taken in this workspace "
                "(first line of each shown):\n" + "\n".join(lines) + f"\nThe latest output:\n{observation}"
            )
            for text in self._pending:
                interject(text)
        self._pending.clear()
        return self.then.act(observation, info)
