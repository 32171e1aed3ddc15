"""What a person sees while a batch runs: a live view on a terminal, plain lines elsewhere, or nothing.

Everything goes to stderr, so ``--json`` can put the summary alone on stdout. The live view (rich) holds
an overall bar with ETA and one line per running episode (task, agent, attempt, step, best score, cost);
failures are printed above it as they happen and stay in the scrollback.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import IO, Any, Protocol

from mlgym_tui.batch.job import EpisodeJob, Outcome


class BatchView(Protocol):
    def begin(self, title: str, total: int) -> None: ...

    def started(self, job: EpisodeJob) -> None: ...

    def progress(self, job: EpisodeJob, data: dict[str, Any]) -> None: ...

    def finished(self, job: EpisodeJob, outcome: Outcome) -> None: ...

    def note(self, text: str) -> None: ...

    def end(self) -> None: ...


def describe_failure(job: EpisodeJob, outcome: Outcome) -> str | None:
    """One line for an episode that did not end well, or None when it did."""
    if outcome.state == "finished" and outcome.exit_status not in ("exit_error", "exit_runtime", "exit_api"):
        return None
    what = outcome.state if outcome.state != "finished" else outcome.exit_status
    detail = f" — {outcome.message}" if outcome.message else ""
    return f"✗ {job.cell.key}: {what}{detail}"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


class QuietView:
    """``--quiet``: nothing while it runs."""

    def begin(self, title: str, total: int) -> None: ...
    def started(self, job: EpisodeJob) -> None: ...
    def progress(self, job: EpisodeJob, data: dict[str, Any]) -> None: ...
    def finished(self, job: EpisodeJob, outcome: Outcome) -> None: ...
    def note(self, text: str) -> None: ...
    def end(self) -> None: ...


class PlainView:
    """Not a terminal (CI, a log file): one line per finished episode, failures marked."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total = 0
        self.done = 0

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def begin(self, title: str, total: int) -> None:
        self.total = total
        self._line(title)

    def started(self, job: EpisodeJob) -> None: ...

    def progress(self, job: EpisodeJob, data: dict[str, Any]) -> None: ...

    def finished(self, job: EpisodeJob, outcome: Outcome) -> None:
        self.done += 1
        failure = describe_failure(job, outcome)
        if failure:
            self._line(f"[{self.done}/{self.total}] {failure}")
        else:
            self._line(
                f"[{self.done}/{self.total}] ✓ {job.cell.key}: {outcome.exit_status} · score {_fmt(outcome.score)}"
                f" · {outcome.episode_time:.1f} s"
            )

    def note(self, text: str) -> None:
        self._line(text)

    def end(self) -> None: ...


@dataclass
class _Line:
    job: EpisodeJob
    since: float
    step: int = 0
    max_steps: int | None = None
    best: float | None = None
    cost: float = 0.0


class LiveView:
    """A terminal: the rich live display described in the module docstring."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        from rich.console import Console

        self.console = Console(file=stream or sys.stderr)
        self.lines: dict[str, _Line] = {}
        self.live: Any = None
        self._bar_view: Any = None
        self._bar: Any = None

    def begin(self, title: str, total: int) -> None:
        from rich.live import Live
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console.print(title)
        self._bar_view = Progress(
            TextColumn("episodes"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("· elapsed"),
            TimeElapsedColumn(),
            TextColumn("· ETA"),
            TimeRemainingColumn(),
            console=self.console,
        )
        self._bar = self._bar_view.add_task("batch", total=total)
        self.live = Live(self, console=self.console, refresh_per_second=4, transient=True)
        self.live.start()

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.table import Table

        table = Table.grid(padding=(0, 2))
        for _ in range(6):
            table.add_column()
        now = time.monotonic()
        for line in list(self.lines.values()):  # the refresh thread reads while episodes come and go
            cell = line.job.cell
            steps = f"step {line.step}/{line.max_steps or '?'}"
            cost = f"${line.cost:.2f}" if line.cost else ""
            agent = cell.agent.rpartition(":")[2]  # module:Class agents by their class name
            who = agent if not cell.model else f"{agent}/{cell.model}"
            table.add_row(cell.task, who, f"a{cell.attempt}", steps, f"best {_fmt(line.best)}",
                          f"{now - line.since:.0f} s {cost}".strip())
        return Group(self._bar_view, table) if self.lines else self._bar_view

    def started(self, job: EpisodeJob) -> None:
        self.lines[job.launch] = _Line(job, time.monotonic())

    def progress(self, job: EpisodeJob, data: dict[str, Any]) -> None:
        line = self.lines.get(job.launch)
        if line is None:
            return
        line.step = int(data.get("step") or 0)
        line.max_steps = data.get("max_steps")
        line.best = data.get("best")
        line.cost = float(data.get("cost") or 0.0)

    def finished(self, job: EpisodeJob, outcome: Outcome) -> None:
        self.lines.pop(job.launch, None)
        failure = describe_failure(job, outcome)
        if failure:
            self.console.print(f"[bold red]{failure}[/]", markup=True, highlight=False)
        self._bar_view.advance(self._bar)

    def note(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False)

    def end(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
        self.console.print(self._bar_view)


def make_view(quiet: bool, stream: IO[str] | None = None) -> BatchView:
    stream = stream or sys.stderr
    if quiet:
        return QuietView()
    if stream.isatty():
        return LiveView(stream)
    return PlainView(stream)
