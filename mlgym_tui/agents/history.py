"""The conversation the model sees, kept incrementally.

SWE-agent's history processors rebuild the whole prompt every step, which costs O(history) per step and
O(steps²) per episode. Here each message is rendered once, when it is added. The "keep the last N
observations in full" processor is applied as the window slides: when an observation drops out of the
last N, its message is swapped once for its elided form. A running character count gives the prompt
size estimate for the context-window check, so nothing per step walks the history.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from mlgym_tui.agents.models.base import Message


class History:
    """The message list sent to the model, plus the bookkeeping that keeps it cheap to extend."""

    def __init__(self, keep_full: int) -> None:
        self.keep_full = max(0, keep_full)
        self.messages: list[Message] = []
        self.chars = 0
        self._full: deque[tuple[Message, Callable[[], str]]] = deque()

    def reset(self) -> None:
        self.messages = []
        self.chars = 0
        self._full.clear()

    def add(self, role: str, content: str, elide: Callable[[], str] | None = None) -> None:
        """Append a message; ``elide`` makes it an observation that is elided once N newer ones follow."""
        message = {"role": role, "content": content}
        self.messages.append(message)
        self.chars += len(content)
        if elide is not None:
            self._full.append((message, elide))
            while len(self._full) > self.keep_full:
                old, make_short = self._full.popleft()
                short = make_short()
                self.chars += len(short) - len(old["content"])
                old["content"] = short

    def mark(self) -> int:
        """A point to :meth:`truncate` back to (before a format-error exchange)."""
        return len(self.messages)

    def truncate(self, mark: int) -> None:
        """Drop messages added since ``mark`` (they must not be elidable observations)."""
        for message in self.messages[mark:]:
            self.chars -= len(message["content"])
        del self.messages[mark:]

    def estimated_tokens(self, chars_per_token: float) -> int:
        return int(self.chars / chars_per_token)
