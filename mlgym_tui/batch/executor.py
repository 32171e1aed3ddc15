"""What an executor is to the batch: it runs jobs and reports each one's start, progress and end."""

from __future__ import annotations

from typing import Any, Protocol

from mlgym_tui.batch.job import EpisodeJob, Outcome


class Sink(Protocol):
    """The batch side of an executor: the progress view and the bookkeeping listen here."""

    def started(self, job: EpisodeJob, info: dict[str, Any]) -> None: ...

    def progress(self, job: EpisodeJob, data: dict[str, Any]) -> None: ...

    def finished(self, job: EpisodeJob, outcome: Outcome) -> None: ...

    def stop_reason(self) -> str | None:
        """Non-None once no new episode should start (e.g. the total cost limit is spent)."""


class Executor(Protocol):
    name: str

    def run(self, jobs: list[EpisodeJob], sink: Sink) -> bool:
        """Run every job (or until stopped); returns True when a Ctrl-C cut the batch short.

        Every job that was started is reported through ``sink.finished`` before this returns, also after
        Ctrl-C, so the batch can mark what did not finish.
        """
