"""A deterministic model for tests and benchmarks: answers from a script, instantly, for free.

Like mini-swe-agent's ``DeterministicModel``: the agent loop is exercised end to end with no network and
no randomness. Each scripted answer is a text (or a :class:`ModelReply` for full control of tokens and
cost); when the script runs out, it keeps answering ``submit``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mlgym_tui.agents.models.base import Message, ModelReply

SUBMIT = "DISCUSSION\nNothing more to try.\n\n```\nsubmit\n```"


class ScriptedModel:
    """Answers from ``script`` in order; ``script`` may also be a function of the conversation."""

    def __init__(
        self,
        script: Iterable[str | ModelReply] | Callable[[list[Message]], str | ModelReply],
        name: str = "scripted",
        context_window: int | None = None,
    ) -> None:
        self.name = name
        self.context_window = context_window
        self._fn = script if callable(script) else None
        self._script = iter(()) if callable(script) else iter(script)
        self.calls = 0
        self.last_messages: list[Message] = []
        self.last_prompt = ""
        """The last message of the latest query, as it was sent (the list itself grows afterwards)."""

    def query(self, messages: list[Message]) -> ModelReply:
        self.calls += 1
        self.last_messages = messages
        self.last_prompt = messages[-1]["content"] if messages else ""
        answer = self._fn(messages) if self._fn is not None else next(self._script, SUBMIT)
        return answer if isinstance(answer, ModelReply) else ModelReply(answer)

    def close(self) -> None:
        pass
