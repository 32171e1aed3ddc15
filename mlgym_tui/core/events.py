"""The event stream: everything that happens in an episode, as plain serialisable records.

The session and the environment publish events to an :class:`EventBus`; the trajectory recorder, the
TUI, the headless progress line and the batch runner subscribe. Replay reads recorded events and
publishes them again, so every view works the same on live, human and recorded episodes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class EventKind(StrEnum):
    """What an event reports. Values are the ``kind`` field written to ``trajectory.jsonl``."""

    EPISODE_STARTED = "episode_started"  # task, agent, model, backend, seed, limits, task text
    THOUGHT = "thought"  # the agent's reasoning for the next action
    ACTION = "action"  # the command about to run
    OUTPUT = "output"  # a chunk of live shell output
    OBSERVATION = "observation"  # a step finished: observation text, exit code, duration
    FILE_OPENED = "file_opened"  # the editor window moved: path, first line, lines shown
    FILE_CHANGED = "file_changed"  # an edit was applied: path, start, end, new lines
    VALIDATION = "validation"  # evaluation of the current workspace
    SUBMISSION = "submission"  # final evaluation; the episode ends after it
    MODEL_USAGE = "model_usage"  # tokens and cost of one model call, with running totals
    FORMAT_ERROR = "format_error"  # the model's answer could not be parsed
    INTERVENTION = "intervention"  # a human paused, approved, edited, interjected or took over
    MEMORY = "memory"  # a memory note written or read
    LIMIT = "limit"  # a limit was hit
    ERROR = "error"  # something failed outside the agent's control
    EPISODE_ENDED = "episode_ended"  # exit status, final score, totals


@dataclass(frozen=True)
class Event:
    """One thing that happened. ``data`` holds only JSON-serialisable values."""

    kind: EventKind
    step: int
    data: dict[str, Any] = field(default_factory=dict)
    time: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "step": self.step, "time": self.time, **self.data}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Event:
        """Inverse of :meth:`to_dict`; unknown kinds are an error the reader reports."""
        body = dict(raw)
        kind = EventKind(body.pop("kind"))
        step = int(body.pop("step", 0))
        stamp = float(body.pop("time", 0.0))
        return cls(kind=kind, step=step, data=body, time=stamp)


class Subscriber(Protocol):
    def __call__(self, event: Event) -> None: ...


class EventBus:
    """Delivers each event to every subscriber, in subscription order, on the publishing thread.

    A subscriber that raises is reported through the ``on_error`` hook (each time) and stays subscribed:
    one broken view must not stop the episode or the other subscribers. Without a hook the error
    propagates, which is what the recorder wants (a trajectory that cannot be written must stop the run).

    Publishing is serialised by a re-entrant lock, so a front end may record an event (a person's
    intervention) from its own thread while the session publishes from the episode's thread: the
    trajectory never gets two lines interleaved, and events keep one order for every subscriber.
    """

    def __init__(self, on_error: Callable[[Subscriber, Exception], None] | None = None) -> None:
        self._subscribers: list[Subscriber] = []
        self._on_error = on_error
        self._lock = threading.RLock()
        self.step = 0

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns a function that removes it."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber) if subscriber in self._subscribers else None

    def publish(self, kind: EventKind, **data: Any) -> Event:
        """Create an event at the current step and deliver it."""
        with self._lock:
            event = Event(kind=kind, step=self.step, data=data)
            self.deliver(event)
        return event

    def deliver(self, event: Event) -> None:
        with self._lock:
            self._deliver(event)

    def _deliver(self, event: Event) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception as exc:  # noqa: BLE001 - isolate views from each other
                if self._on_error is not None:
                    self._on_error(subscriber, exc)
                else:
                    raise
