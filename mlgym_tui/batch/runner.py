"""A batch from start to summary: expand the grid, skip what is done, run the rest, mark, summarise.

The order matters for resume. Under the batch lock, unfinished folders left by earlier batches are marked
first (:func:`~mlgym_tui.batch.ledger.reconcile`), so the cells they belonged to are simply "to do";
while the batch runs, every episode that ends without finishing has its folder marked as soon as its
worker is gone; at the end one more reconcile catches what only Ray knew about (a retried try, a
cancelled task). Only then is the manifest written and the summary made.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlgym_tui.batch.budget import LocalGate
from mlgym_tui.batch.executor import Executor, StopRequests
from mlgym_tui.batch.gpus import GpuPool
from mlgym_tui.batch.grid import Cell, check_agents, expand_grid, resolve_tasks
from mlgym_tui.batch.job import EpisodeJob, Outcome
from mlgym_tui.batch.ledger import STATE_DIR, batch_lock, inspect, mark, reconcile, scan, write_manifest
from mlgym_tui.batch.progress import BatchView, QuietView
from mlgym_tui.core.task import load_task

SUMMARY_SCHEMA = "mlgym-tui/batch-summary"
GUARD_GRACE = 600.0
"""Seconds past the task's (or ``--wall-time``) limit before the wall-time guard stops an episode."""


@dataclass
class BatchOptions:
    """The ``mlgym-tui batch`` command line, as data."""

    tasks: list[str]
    agents: list[str]
    out: Path
    attempts: int = 1
    models: list[str] = field(default_factory=list)
    executor: str = "local"
    workers: int = 1
    backend: str = "local"
    seed: int = 0
    agent_config: list[str] = field(default_factory=list)
    base_url: str | None = None
    max_steps: int | None = None
    wall_time: float | None = None
    episode_timeout: float | None = None
    """The wall-time guard; None: the episode's wall-time limit + ``GUARD_GRACE``."""
    cost_limit: float | None = None
    total_cost_limit: float | None = None
    call_limits: dict[str, int] = field(default_factory=dict)
    gpus: list[str] = field(default_factory=list)
    gpus_per_episode: int = 1
    cpus_per_episode: float = 1.0
    memory_per_episode: int | None = None
    grace: float = 30.0
    """Seconds a stopped episode gets to end in order before it is killed."""
    ray_address: str | None = None
    ray_fresh_workers: bool = False
    retries: int = 1
    rerun_statuses: frozenset[str] = frozenset()


@dataclass
class BatchSummary:
    data: dict[str, Any]

    @property
    def complete(self) -> bool:
        return not self.data["incomplete"]

    @property
    def interrupted(self) -> bool:
        return bool(self.data["interrupted"])


class _BatchState:
    """The executor's :class:`~mlgym_tui.batch.executor.Sink`: forwards to the view, keeps the books."""

    def __init__(self, options: BatchOptions, batch_id: str, view: BatchView, stop: StopRequests) -> None:
        self.options = options
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
        limit = self.options.total_cost_limit
        if self._stop is None and limit is not None:
            spent = max(self.cost, self.spent_elsewhere())
            if spent >= limit:
                self._stop = f"total cost limit ${limit:g} reached (${spent:.2f} spent)"
                self.view.note(f"stopping: {self._stop}; running episodes end at their next step")
        return self._stop

    def _mark_launch(self, job: EpisodeJob, outcome: Outcome) -> None:
        """Mark the folder(s) of a try that did not finish, with what the executor saw."""
        label_root = self.options.out / job.cell.task
        for run in scan(self.options.out, [job.cell.task]) if label_root.is_dir() else []:
            if run.launch != job.launch or run.mark is not None:
                continue
            fresh = inspect(run.folder)
            if fresh is not None and not fresh.finished:
                mark(run.folder, outcome.state if outcome.state != "error" else "crashed",
                     outcome.message or outcome.state, self.batch_id)
                self.marked.append((run.folder, outcome.state))
                outcome.folder = outcome.folder or str(run.folder)


def make_jobs(options: BatchOptions, cells: list[Cell], batch_id: str) -> list[EpisodeJob]:
    tasks = {t: load_task(t) for t in sorted({c.task for c in cells})}
    jobs = []
    for cell in cells:
        task = tasks[cell.task]
        wall = options.wall_time or task.limits.wall_time
        jobs.append(
            EpisodeJob(
                cell=cell,
                out=str(options.out),
                batch_id=batch_id,
                launch=uuid.uuid4().hex[:12],
                backend=options.backend,
                agent_config=list(options.agent_config),
                base_url=options.base_url,
                max_steps=options.max_steps,
                cost_limit=options.cost_limit,
                wall_time=options.wall_time,
                guard=options.episode_timeout or wall + GUARD_GRACE,
                wants_gpu=task.gpu,
                cpus=options.cpus_per_episode,
                memory=options.memory_per_episode,
            )
        )
    return jobs


def build_executor(
    options: BatchOptions, cells: list[Cell], state_dir: Path, stop: StopRequests, ctx: Any = None
) -> tuple[Executor, LocalGate | None]:
    if options.executor == "ray":
        from mlgym_tui.batch.ray_executor import RayExecutor, import_ray

        import_ray()
        return RayExecutor(
            workers=options.workers,
            address=options.ray_address,
            retries=options.retries,
            gpus_per_episode=options.gpus_per_episode,
            call_limits=options.call_limits,
            cost_limit=options.total_cost_limit,
            grace=options.grace,
            stop=stop,
            fresh_workers=options.ray_fresh_workers,
        ), None
    from mlgym_tui.batch.local import LocalExecutor, worker_context

    ctx = ctx or worker_context()
    gate = None
    if options.call_limits or options.total_cost_limit is not None:
        providers = sorted({c.provider for c in cells if c.provider})
        gate = LocalGate(ctx, providers, options.call_limits, options.total_cost_limit)
    pool = GpuPool(options.gpus)
    if options.gpus:
        pool.check(options.gpus_per_episode)
    executor = LocalExecutor(
        workers=options.workers,
        log_dir=state_dir / "logs",
        ctx=ctx,
        gate=gate,
        gpus=pool,
        gpus_per_episode=options.gpus_per_episode,
        grace=options.grace,
    )
    return executor, gate


def run_batch(options: BatchOptions, view: BatchView | None = None) -> BatchSummary:
    """Run (or resume) the batch described by ``options``; see the module docstring for the order."""
    view = view or QuietView()
    options.out = options.out.resolve()
    # The local workers' forkserver starts now, so its imports overlap with the planning below.
    ctx = None
    if options.executor == "local":
        from mlgym_tui.batch.local import worker_context

        ctx = worker_context()
    cells = expand_grid(resolve_tasks(options.tasks), options.agents, options.models, options.attempts, options.seed)
    check_agents(options.agents)
    options.out.mkdir(parents=True, exist_ok=True)
    batch_id = uuid.uuid4().hex[:12]
    started = time.monotonic()
    stop = StopRequests()
    with batch_lock(options.out) as state_dir:
        before = reconcile(options.out, cells, batch_id, options.rerun_statuses)
        jobs = make_jobs(options, before.todo, batch_id)
        executor, gate = build_executor(options, cells, state_dir, stop, ctx)
        state = _BatchState(options, batch_id, view, stop)
        state.spent_elsewhere = (lambda: gate.spent) if gate is not None else (lambda: getattr(executor, "spent", 0.0))
        for folder, status in before.marked:
            view.note(f"marked {status}: {folder}")
        write_manifest(options.out, _manifest(options, batch_id, cells, before.done, {}, "running"))
        title = (
            f"batch {batch_id}: {len(cells)} episodes, {len(before.done)} already finished, {len(jobs)} to run "
            f"· {executor.name} × {options.workers}"
        )
        view.begin(title, len(jobs))
        stop.install()
        try:
            interrupted = executor.run(jobs, state) if jobs else False
            # From here to the end nothing is stopped half-way: the marking must complete.
            after = reconcile(options.out, cells, batch_id)
        finally:
            stop.restore()
            view.end()
        interrupted = interrupted or stop.count > 0
        state.marked.extend(before.marked + after.marked)
        state.cost = max(state.cost, state.spent_elsewhere())
        wall = time.monotonic() - started
        summary = _summary(options, batch_id, cells, before.done, after.done, state, interrupted, wall)
        write_manifest(
            options.out,
            _manifest(options, batch_id, cells, after.done, {j.cell.key: o for j, o in state.outcomes},
                      "interrupted" if interrupted else "ended"),
        )
    return BatchSummary(summary)


def _manifest(
    options: BatchOptions, batch_id: str, cells: list[Cell], done: dict[str, Any], outcomes: dict[str, Outcome],
    state: str,
) -> dict[str, Any]:
    entries = {}
    for cell in cells:
        run = done.get(cell.key)
        outcome = outcomes.get(cell.key)
        entries[cell.key] = {
            "task": cell.task, "agent": cell.agent, "model": cell.model, "attempt": cell.attempt, "seed": cell.seed,
            "state": "finished" if run else (outcome.state if outcome else "pending"),
            "folder": str(run.folder.relative_to(options.out)) if run else None,
            "exit_status": run.exit_status if run else None,
            "score": run.score if run else None,
        }
    return {
        "schema": "mlgym-tui/batch", "version": 1, "batch": batch_id, "state": state,
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
        "grid": {"tasks": sorted({c.task for c in cells}), "agents": options.agents, "models": options.models,
                 "attempts": options.attempts, "seed": options.seed},
        "cells": entries,
    }


def _summary(
    options: BatchOptions, batch_id: str, cells: list[Cell], done_before: dict[str, Any], done_after: dict[str, Any],
    state: _BatchState, interrupted: bool, wall: float,
) -> dict[str, Any]:
    episodes = []
    for job, o in state.outcomes:
        episodes.append({
            "cell": job.cell.key, "task": job.cell.task, "agent": job.cell.agent, "model": job.cell.model,
            "attempt": job.cell.attempt, "seed": job.cell.seed, "state": o.state, "exit_status": o.exit_status,
            "score": o.score, "steps": o.steps, "cost": o.cost, "folder": o.folder, "host": o.host,
            "episode_time": round(o.episode_time, 4), "total_time": round(o.total_time, 4),
            "overhead": round(max(0.0, o.total_time - o.episode_time), 4), "message": o.message,
            "launched_at": state.launched_at.get(job.launch), "ended_at": state.ended_at.get(job.launch),
            "started_at": o.started_at or None,
        })
    ran = len(episodes)
    overheads = [e["overhead"] for e in episodes if e["state"] == "finished"]
    stamps = [(e["launched_at"], e["ended_at"]) for e in episodes if e["launched_at"] and e["ended_at"]]
    active = max(end for _, end in stamps) - min(begin for begin, _ in stamps) if stamps else 0.0
    return {
        "schema": SUMMARY_SCHEMA, "version": 1, "batch": batch_id, "out": str(options.out),
        "executor": options.executor, "workers": options.workers, "backend": options.backend,
        "cells": len(cells), "skipped": len(done_before), "ran": ran,
        "finished": sum(e["state"] == "finished" for e in episodes),
        "failed": [e["cell"] for e in episodes if _failed(e)],
        "incomplete": [c.key for c in cells if c.key not in done_after],
        "interrupted": interrupted, "stopped": state.stopped,
        "cost": round(state.cost, 6), "wall_time": round(wall, 3),
        "active_time": round(active, 3),
        "episodes_per_minute": round(ran / wall * 60, 2) if wall > 0 and ran else 0.0,
        "overhead_per_episode": round(sum(overheads) / len(overheads), 4) if overheads else None,
        "marked": [{"folder": str(f), "status": s} for f, s in state.marked],
        "episodes": episodes,
        "state_dir": str(options.out / STATE_DIR),
    }


def _failed(e: dict[str, Any]) -> bool:
    """Did not finish, or finished with an error status (the same rule as the progress view)."""
    return e["state"] != "finished" or e["exit_status"] in ("exit_error", "exit_runtime", "exit_api")

