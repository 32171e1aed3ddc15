"""The batch's books while it runs: what the executors report, what the view shows, what gets marked."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlgym_tui.batch.executor import StopRequests
from mlgym_tui.batch.job import EpisodeJob, Outcome
from mlgym_tui.batch.ledger import inspect, mark, scan
from mlgym_tui.batch.progress import BatchView


class BatchBooks:
    """The executor's :class:`~mlgym_tui.batch.executor.Sink`: forwards to the view, keeps the books."""

    def __init__(self, out: Path, total_cost_limit: float | None, batch_id: str, view: BatchView,
                 stop: StopRequests) -> None:
        self.out = out
        self.total_cost_limit = total_cost_limit
        self.stop = stop
        self.batch_id = batch_id
        self.view = view
        self.outcomes: list[tuple[EpisodeJob, Outcome]] = []
        self.cost = 0.0
        self.marked: list[tuple[Path, str]] = []
        self.spent_elsewhere: Callable[[], float] = lambda: 0.0
        """What the executor's budget guard has counted (running episodes included)."""
        self.launched_at: dict[str, float] = {}
        self.ended_at: dict[str, float] = {}
        self._stop: str | None = None

    def started(self, job: EpisodeJob, info: dict[str, Any]) -> None:
        self.launched_at[job.launch] = time.time()
        self.view.started(job)

    def progress(self, job: EpisodeJob, data: dict[str, Any]) -> None:
        self.view.progress(job, data)

    def finished(self, job: EpisodeJob, outcome: Outcome) -> None:
        if outcome.state == "interrupted" and not outcome.message:
            why = "Ctrl-C" if self.stop.count else (self._stop or "a stop request")
            outcome.message = f"stopped by {why}; the episode ended in order"
        self.ended_at[job.launch] = time.time()
        self.outcomes.append((job, outcome))
        self.cost += outcome.cost
        if outcome.state != "finished":
            self._mark_launch(job, outcome)
        self.view.finished(job, outcome)

    @property
    def stopped(self) -> str | None:
        return self._stop

    def interrupts(self) -> int:
        return self.stop.count

    def stop_reason(self) -> str | None:
        limit = self.total_cost_limit
        if self._stop is None and limit is not None:
            spent = max(self.cost, self.spent_elsewhere())
            if spent >= limit:
                self._stop = f"total cost limit ${limit:g} reached (${spent:.2f} spent)"
                self.view.note(f"stopping: {self._stop}; running episodes end at their next step")
        return self._stop

    def _mark_launch(self, job: EpisodeJob, outcome: Outcome) -> None:
        """Mark the folder(s) of a try that did not finish, with what the executor saw."""
        label_root = self.out / job.cell.task
        for run in scan(self.out, [job.cell.task]) if label_root.is_dir() else []:
            if run.launch != job.launch or run.mark is not None:
                continue
            fresh = inspect(run.folder)
            if fresh is not None and not fresh.finished:
                mark(run.folder, outcome.state if outcome.state != "error" else "crashed",
                     outcome.message or outcome.state, self.batch_id)
                self.marked.append((run.folder, outcome.state))
                outcome.folder = outcome.folder or str(run.folder)
