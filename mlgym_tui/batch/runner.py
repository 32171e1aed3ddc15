"""A batch from start to summary: expand the grid, skip what is done, run the rest, mark, summarise.

The order matters for resume. Under the batch lock, unfinished folders left by earlier batches are marked
first (:func:`~mlgym_tui.batch.ledger.reconcile`), so the cells they belonged to are simply "to do";
while the batch runs, every episode that ends without finishing has its folder marked as soon as its
worker is gone; at the end one more reconcile catches what only Ray knew about (a retried try, a
cancelled task). Only then is the manifest written and the summary made.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgym_tui.batch.books import BatchBooks
from mlgym_tui.batch.budget import LocalGate
from mlgym_tui.batch.executor import Executor, StopRequests
from mlgym_tui.batch.grid import Cell, check_agents, check_model_servers, expand_grid, resolve_tasks
from mlgym_tui.batch.job import EpisodeJob
from mlgym_tui.batch.ledger import batch_lock, reconcile, write_manifest
from mlgym_tui.batch.progress import BatchView, QuietView
from mlgym_tui.batch.summary import manifest_data, summary_data
from mlgym_tui.core.errors import UserError
from mlgym_tui.core.runtime.gpus import check_per_episode, device_pool
from mlgym_tui.core.task_sources import load_task

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
    """``--gpus`` (device ids or ``["all"]``): the local executor shares them out to GPU tasks."""
    gpus_per_episode: int = 1
    cpus_per_episode: float = 1.0
    memory_per_episode: int | None = None
    research_log: bool = False
    """``--memory``: offer the research-log tools in every episode."""
    memory_from: list[str] = field(default_factory=list)
    memory_dir: str | None = None
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
                research_log=options.research_log,
                memory_from=list(options.memory_from),
                memory_dir=options.memory_dir,
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
    pool = device_pool(options.gpus)
    if pool:
        check_per_episode(pool, options.gpus_per_episode)
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


def make_out_folder(out: Path) -> None:
    """``--out`` as a writable folder; a file there or a place that cannot hold one is one line."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--out {out}: cannot create the folder there ({exc.strerror or exc})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise UserError(f"--out {out}: the folder is not writable")


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
    if options.executor == "local":
        check_model_servers(cells, options.agent_config, options.base_url)
    make_out_folder(options.out)
    batch_id = uuid.uuid4().hex[:12]
    started = time.monotonic()
    stop = StopRequests()
    with batch_lock(options.out) as state_dir:
        before = reconcile(options.out, cells, batch_id, options.rerun_statuses)
        jobs = make_jobs(options, before.todo, batch_id)
        executor, gate = build_executor(options, cells, state_dir, stop, ctx)
        state = BatchBooks(options.out, options.total_cost_limit, batch_id, view, stop)
        state.spent_elsewhere = (lambda: gate.spent) if gate is not None else (lambda: getattr(executor, "spent", 0.0))
        for folder, status in before.marked:
            view.note(f"marked {status}: {folder}")
        write_manifest(options.out, manifest_data(options, batch_id, cells, before.done, {}, "running"))
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
        summary = summary_data(options, batch_id, cells, before.done, after.done, state, interrupted, wall)
        write_manifest(
            options.out,
            manifest_data(options, batch_id, cells, after.done, {j.cell.key: o for j, o in state.outcomes},
                      "interrupted" if interrupted else "ended"),
        )
    return BatchSummary(summary)
