"""The local executor: a pool of worker processes on this machine, one fresh process per episode.

Why a process per episode rather than long-lived workers: a crash, a leak or a hang in one episode must
never reach another or the batch. Processes come from a *forkserver* that has the episode code imported
already, so starting one costs a fork, not an interpreter start. Each worker runs in its own session (a
terminal's Ctrl-C reaches only the batch, which then stops the workers in order), writes its output to
``<out>/.batch/logs/<launch>.log``, and reports over its own pipe: end of file on the pipe is how the
batch learns the worker is gone, whether it said goodbye or was killed.

Stopping: the wall-time guard and Ctrl-C send SIGTERM, which the episode turns into an orderly
interruption (trajectory ended, result written, sandbox closed); after ``grace`` seconds, or on a second
Ctrl-C, SIGKILL follows and :mod:`.cleanup` removes what the worker left.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from mlgym_tui.batch.budget import Gate
from mlgym_tui.batch.cleanup import cleanup_launch
from mlgym_tui.batch.executor import Sink
from mlgym_tui.batch.job import EpisodeJob, Outcome, execute_job
from mlgym_tui.core.runtime.gpus import GpuLease

PRELOAD = [
    "mlgym_tui.batch.job",
    "mlgym_tui.core.runner",
    "mlgym_tui.core.runtime.local",
    "mlgym_tui.agents.registry",
    "mlgym_tui.agents.baseline",
]


def worker_context() -> Any:
    """The multiprocessing context every local worker (and the gate's primitives) must share.

    The forkserver is started here, so its imports overlap with the batch's own preparation.
    """
    from multiprocessing import forkserver

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    forkserver.ensure_running()
    return ctx


def _watch_parent() -> None:
    """End the episode in order if the batch disappears (its workers would otherwise run on unobserved)."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _worker_main(
    job: EpisodeJob, conn: Connection, gate: Gate | None, log_path: str, environ: dict[str, str], cwd: str
) -> None:
    """Entry point of a worker process.

    The forkserver was started once, with the environment and folder of that moment; the episode gets
    the batch's current ones instead (a library caller may have changed ``MLGYM_TASKS_DIR`` since).
    """
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    os.setsid()
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    _watch_parent()

    def send(kind: str, data: dict[str, Any]) -> None:
        conn.send((kind, data))

    try:
        outcome = execute_job(job, send, gate)
        conn.send(("done", outcome.to_dict()))
    except KeyboardInterrupt:
        pass
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        conn.close()


@dataclass
class _Running:
    job: EpisodeJob
    proc: Any
    conn: Connection
    launched: float
    deadline: float
    outcome: dict[str, Any] | None = None
    eof: bool = False
    term_sent: float | None = None
    timed_out: bool = False
    info: dict[str, Any] = field(default_factory=dict)


class LocalExecutor:
    """Runs jobs ``workers`` at a time, each in its own process, with GPUs leased disjointly."""

    name = "local"

    def __init__(
        self,
        workers: int,
        log_dir: Path,
        ctx: Any | None = None,
        gate: Gate | None = None,
        gpus: list[str] | None = None,
        gpus_per_episode: int = 0,
        grace: float = 30.0,
    ) -> None:
        self.workers = max(1, workers)
        self.log_dir = log_dir
        self.ctx = ctx or worker_context()
        self.gate = gate
        self.gpus = list(gpus or [])
        """The device ids to share out (``all`` already resolved); each GPU task's episode leases
        ``gpus_per_episode`` of them (:class:`~mlgym_tui.core.runtime.gpus.GpuLease`) for its lifetime."""
        self.gpus_per_episode = gpus_per_episode
        self._leases: dict[str, GpuLease] = {}
        self.grace = grace
        self._running: dict[str, _Running] = {}
        self._pending: list[EpisodeJob] = []
        self._stopping = False

    # -- public ------------------------------------------------------------------------------
    def run(self, jobs: list[EpisodeJob], sink: Sink) -> bool:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._pending = list(jobs)
        try:
            return self._run(sink)
        finally:
            # Only after an unexpected error are workers still here: none may outlive the batch.
            for run in list(self._running.values()):
                self._signal(run, signal.SIGKILL)
                run.proc.join(timeout=5)
                cleanup_launch(run.job.launch, run.job.backend)
            for lease in self._leases.values():
                lease.release()
            self._leases.clear()

    def _run(self, sink: Sink) -> bool:
        handled = 0
        while self._pending or self._running:
            requests = sink.interrupts()
            if requests > handled:
                handled = requests
                self._stopping = True
                self._pending.clear()
                self._signal_all(signal.SIGTERM if requests == 1 else signal.SIGKILL)
            if not self._stopping and sink.stop_reason() is not None:
                self._pending.clear()
            self._launch_what_fits(sink)
            self._step(sink)
        return handled > 0

    # -- internals ---------------------------------------------------------------------------
    def _need(self, job: EpisodeJob) -> int:
        return self.gpus_per_episode if (job.gpus is None and job.wants_gpu and self.gpus) else 0

    def _next_that_fits(self) -> tuple[int, GpuLease | None] | None:
        """The first pending job whose GPUs are free now, with its lease (None if it needs none)."""
        for index, job in enumerate(self._pending):
            need = self._need(job)
            if not need:
                return index, None
            lease = GpuLease.try_take(self.gpus, need)
            if lease is not None:
                return index, lease
        return None

    def _step(self, sink: Sink) -> None:
        """Wait up to 0.2 s for news from the workers, then handle every worker that ended."""
        conns = [r.conn for r in self._running.values() if not r.eof]
        ready = wait(conns, timeout=0.2) if conns else (time.sleep(0.05) or [])
        for run in list(self._running.values()):
            if run.conn in ready:
                self._drain(run, sink)
            if run.eof or not run.proc.is_alive():
                if not run.eof:
                    self._drain(run, sink)
                if run.eof or run.proc.exitcode is not None:
                    self._finish(run, sink)
                    continue
            self._guard(run)

    def _launch_what_fits(self, sink: Sink) -> None:
        while self._pending and len(self._running) < self.workers and not self._stopping:
            found = self._next_that_fits()
            if found is None:
                return
            index, lease = found
            job = self._pending.pop(index)
            if lease is not None:
                job.gpus = list(lease.devices)
                self._leases[job.launch] = lease
            reader, writer = self.ctx.Pipe(duplex=False)
            log_path = str(self.log_dir / f"{job.launch}.log")
            proc = self.ctx.Process(
                target=_worker_main,
                args=(job, writer, self.gate, log_path, dict(os.environ), os.getcwd()),
                name=f"episode-{job.launch}",
            )
            now = time.monotonic()
            proc.start()
            writer.close()
            self._running[job.launch] = _Running(job, proc, reader, now, now + job.guard)
            sink.started(job, {"pid": proc.pid})

    def _drain(self, run: _Running, sink: Sink) -> None:
        try:
            while run.conn.poll():
                kind, data = run.conn.recv()
                if kind == "progress":
                    sink.progress(run.job, data)
                elif kind == "started":
                    run.info.update(data)
                elif kind == "done":
                    run.outcome = data
        except (EOFError, OSError):
            run.eof = True

    def _guard(self, run: _Running) -> None:
        now = time.monotonic()
        if run.term_sent is None and now > run.deadline:
            run.timed_out = True
            run.term_sent = now
            self._signal(run, signal.SIGTERM)
        elif run.term_sent is not None and now > run.term_sent + self.grace:
            self._signal(run, signal.SIGKILL)

    def _signal(self, run: _Running, signum: int) -> None:
        if run.term_sent is None:
            run.term_sent = time.monotonic()
        if run.proc.pid is not None:
            with contextlib.suppress(OSError):
                os.kill(run.proc.pid, signum)

    def _signal_all(self, signum: int) -> None:
        for run in self._running.values():
            self._signal(run, signum)

    def _finish(self, run: _Running, sink: Sink) -> None:
        run.proc.join(timeout=5)
        if run.proc.is_alive():  # said goodbye but does not exit (a stuck thread): it is done anyway
            self._signal(run, signal.SIGKILL)
            run.proc.join(timeout=5)
        with contextlib.suppress(OSError):
            run.conn.close()
        self._running.pop(run.job.launch, None)
        lease = self._leases.pop(run.job.launch, None)
        if lease is not None:
            lease.release()
        total = time.monotonic() - run.launched
        if run.outcome is not None:
            outcome = Outcome(**run.outcome)
            if run.timed_out and outcome.state == "interrupted":
                outcome.state = "timeout"
                outcome.message = f"stopped by the wall-time guard after {run.job.guard:g} s"
        else:
            code = run.proc.exitcode
            how = f"killed by {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
            state = "timeout" if run.timed_out else ("interrupted" if self._stopping else "crashed")
            why = f"worker process {run.proc.pid} {how}"
            if run.timed_out:
                why = f"stopped by the wall-time guard after {run.job.guard:g} s; {why}"
            outcome = Outcome(launch=run.job.launch, cell=run.job.cell.key, state=state, message=why)
        if outcome.state != "finished":
            cleanup_launch(run.job.launch, run.job.backend)
        outcome.total_time = total
        sink.finished(run.job, outcome)
