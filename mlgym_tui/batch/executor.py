"""What an executor is to the batch: it runs jobs and reports each one's start, progress and end."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any, Protocol

from mlgym_tui.batch.job import EpisodeJob, Outcome


class Sink(Protocol):
    """The batch side of an executor: the progress view and the bookkeeping listen here."""

    def started(self, job: EpisodeJob, info: dict[str, Any]) -> None: ...

    def progress(self, job: EpisodeJob, data: dict[str, Any]) -> None: ...

    def finished(self, job: EpisodeJob, outcome: Outcome) -> None: ...

    def stop_reason(self) -> str | None:
        """Non-None once no new episode should start (e.g. the total cost limit is spent)."""

    def interrupts(self) -> int:
        """How many times the batch was told to stop (Ctrl-C, SIGTERM): 1 ends episodes in order, 2 kills."""


class Executor(Protocol):
    name: str

    def run(self, jobs: list[EpisodeJob], sink: Sink) -> bool:
        """Run every job (or until stopped); returns True when a Ctrl-C cut the batch short.

        Every job that was started is reported through ``sink.finished`` before this returns, also after
        Ctrl-C, so the batch can mark what did not finish.
        """


class StopRequests:
    """Ctrl-C and SIGTERM as a counter the executors poll.

    A handler that only counts means no ``KeyboardInterrupt`` can land in the middle of the batch's
    bookkeeping (between a worker's end and the marking of its folder). ``install`` may be called again
    after a library (Ray) replaced the handlers.
    """

    def __init__(self) -> None:
        self.count = 0
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous = signal.signal(signum, self._handle)
            self._previous.setdefault(signum, previous)

    def restore(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()
