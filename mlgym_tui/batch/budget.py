"""Budget guards shared by every episode of a batch: a total cost limit and per-provider call limits.

Episodes run in separate processes (or on other machines), so the guard lives outside them: a
:class:`Gate` is handed to each episode and its agent is wrapped in :class:`GatedAgent`, which holds the
provider's slot while ``act`` runs (``act`` is where an LLM agent calls its model), adds each step's cost
to the batch total, and ends the episode — as interrupted, so a resume with a larger budget re-runs it —
once the total has reached the limit. The local executor's gate is built on multiprocessing primitives
(:class:`LocalGate`); the Ray executor's is an actor (see :mod:`.ray_executor`).
"""

from __future__ import annotations

from typing import Any, Protocol

from mlgym_tui.core.agent import AgentStep
from mlgym_tui.core.errors import UserError
from mlgym_tui.core.exits import EpisodeEnd, ExitStatus
from mlgym_tui.core.task import TaskConfig


class Gate(Protocol):
    def acquire(self, provider: str) -> None:
        """Block until a call slot of ``provider`` is free, and take it."""

    def release(self, provider: str) -> None: ...

    def add_cost(self, dollars: float) -> None: ...

    def exhausted(self) -> bool:
        """Whether the batch has spent its total cost limit."""


def parse_call_limits(text: str | None) -> dict[str, int]:
    """``--max-concurrent-calls``: ``4`` (every provider) or ``openai=4,anthropic=2`` (``*`` for the rest)."""
    if not text:
        return {}
    limits: dict[str, int] = {}
    for part in text.split(","):
        name, sep, value = part.strip().rpartition("=")
        key = name.strip() if sep else "*"
        try:
            limits[key] = int(value)
        except ValueError:
            raise UserError(f"--max-concurrent-calls: {part.strip()!r} is not N or PROVIDER=N") from None
        if limits[key] < 1:
            raise UserError(f"--max-concurrent-calls: {part.strip()!r} must allow at least 1 call")
    return limits


def limit_for(limits: dict[str, int], provider: str) -> int | None:
    return limits.get(provider, limits.get("*"))


class LocalGate:
    """A :class:`Gate` for processes on one machine: semaphores and a shared float, made before forking."""

    def __init__(self, ctx: Any, providers: list[str], call_limits: dict[str, int], cost_limit: float | None) -> None:
        self._semaphores = {
            p: ctx.BoundedSemaphore(n) for p in providers if (n := limit_for(call_limits, p)) is not None
        }
        self._spent = ctx.Value("d", 0.0)
        self.cost_limit = cost_limit

    def acquire(self, provider: str) -> None:
        sem = self._semaphores.get(provider)
        if sem is not None:
            sem.acquire()

    def release(self, provider: str) -> None:
        sem = self._semaphores.get(provider)
        if sem is not None:
            sem.release()

    def add_cost(self, dollars: float) -> None:
        with self._spent.get_lock():
            self._spent.value += dollars

    @property
    def spent(self) -> float:
        return float(self._spent.value)

    def exhausted(self) -> bool:
        return self.cost_limit is not None and self.spent >= self.cost_limit


class GatedAgent:
    """Wraps an agent so its model calls respect the batch's gate; otherwise it is the agent itself."""

    def __init__(self, inner: Any, gate: Gate, provider: str | None) -> None:
        self.inner = inner
        self.gate = gate
        self.provider = provider
        self.name = inner.name
        self.model = inner.model

    def start(self, task: TaskConfig, observation: str, info: dict[str, Any]) -> None:
        self.inner.start(task, observation, info)

    def act(self, observation: str, info: dict[str, Any]) -> AgentStep:
        if self.gate.exhausted():
            raise EpisodeEnd("the batch's total cost limit is reached", ExitStatus.INTERRUPTED)
        if self.provider is None:
            step = self.inner.act(observation, info)
        else:
            self.gate.acquire(self.provider)
            try:
                step = self.inner.act(observation, info)
            finally:
                self.gate.release(self.provider)
        if step.usage.cost:
            self.gate.add_cost(step.usage.cost)
        return step

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        # Optional hooks (interject, ...) stay visible through the wrapper.
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)
