"""The bridge from the episode's thread to the UI's: a bus subscriber that only appends to a deque.

Measured on this project: one ``post_message`` or ``call_from_thread`` per event floods the
app's queue under heavy shell output, so the producer thread never talks to the UI. The screen drains the
deque on a short timer instead, and handles whatever arrived since the last tick as one batch.
"""

from __future__ import annotations

from collections import deque

from mlgym_tui.core.events import Event


class EventFeed:
    """A thread-safe mailbox of events (``deque.append`` and ``popleft`` are atomic in CPython)."""

    def __init__(self) -> None:
        self._events: deque[Event] = deque()
        self.received = 0

    def __call__(self, event: Event) -> None:
        self._events.append(event)
        self.received += 1

    def put_many(self, events: list[Event]) -> None:
        self._events.extend(events)
        self.received += len(events)

    def drain(self, limit: int | None = None) -> list[Event]:
        """Everything that arrived so far (or at most ``limit`` events), oldest first."""
        out: list[Event] = []
        pop = self._events.popleft
        try:
            while limit is None or len(out) < limit:
                out.append(pop())
        except IndexError:
            pass
        return out

    def __len__(self) -> int:
        return len(self._events)
