"""The agent protocol the session drives, and what one agent step returns.

It lives in core because the session and runner drive it; ``mlgym_tui.agents`` holds implementations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from mlgym_tui.core.events import EventBus
from mlgym_tui.core.task import TaskConfig


@dataclass(frozen=True)
class Usage:
    """Tokens and cost of the model calls behind one step (zero for non-LLM agents)."""

    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    calls: int = 0


@dataclass(frozen=True)
class AgentStep:
    """One decision: the reasoning shown to people and the action sent to the environment."""

    action: str
    thought: str = ""
    usage: Usage = field(default_factory=Usage)
    extra: dict[str, Any] = field(default_factory=dict)


class Agent(Protocol):
    name: str
    model: str | None

    def start(self, task: TaskConfig, observation: str, info: dict[str, Any]) -> None:
        """A new episode began with this first observation (the task text)."""

    def act(self, observation: str, info: dict[str, Any]) -> AgentStep:
        """The next step; may raise :class:`~mlgym_tui.core.exits.EpisodeEnd` to stop."""

    def close(self) -> None:
        """Release what the agent holds (servers, clients)."""


class Interjectable(Protocol):
    """Agents that can take a message from a person mid-episode (the workbench's *interject*).

    The workbench's takeover wrapper (``agents/human.py``) queues a person's text and calls ``interject``
    between steps, right before the next ``act``; the agent shows the text to its model with that
    observation. Agents without this method simply do not offer interjection.
    """

    def interject(self, text: str) -> None: ...


class ReportsEvents(Protocol):
    """Agents that publish events of their own (an LLM agent's format errors) on the episode's stream.

    The session calls ``bind_bus`` once, before ``start``; agents without it publish nothing themselves.
    """

    def bind_bus(self, bus: EventBus) -> None: ...
