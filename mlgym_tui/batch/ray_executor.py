"""The Ray executor: each episode a Ray task, for batches larger than one machine.

Ray does the scheduling. Each episode is a task that declares what it needs (``num_cpus``, ``num_gpus``
for GPU tasks, ``memory``), so a cluster of any shape runs as many at once as fit; ``--workers`` only caps
how many the driver keeps in flight. ``--ray-address`` joins an existing cluster (``auto``, ``HOST:PORT``);
without it a private single-machine Ray is started and shut down with the batch.

Where the run folders go: the episode writes its run folder itself, on whichever node runs it, under
``--out``. On a cluster ``--out`` must therefore be a path that every node reaches as the same path — a
shared file system (NFS, CephFS, a mounted bucket) — or results stay on the worker nodes and resume cannot
see them. Every node also needs mlgym-tui installed and the task folders at the path the driver uses
(every ``MLGYM_*`` variable, e.g. ``MLGYM_TASKS_DIR``, and ``PYTHONPATH`` are passed on in the job's
runtime environment).

Ray reuses its worker processes, so on Ray the isolation unit is Ray's worker: an episode that kills its
worker takes no other episode with it, and Ray starts a new worker. Episodes run one after another in a
reused worker (``run_episode`` keeps no state between calls); ``--ray-fresh-workers`` gives every
episode a new process instead (``max_calls=1``), measured here at ~1.9 s more per episode.

Retries are for infrastructure failures only: a task whose worker process or node died is re-run
(``max_retries``, ``--retries``), while an exception inside the episode is not retried — the episode
already ended and wrote its result. A crashed try leaves an unfinished run folder, which the batch marks
(:mod:`.ledger`). Progress travels through a small actor the episodes push to and the driver drains; the
budget guard is an async actor holding one semaphore per provider and the running cost.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from mlgym_tui.batch.budget import limit_for
from mlgym_tui.batch.cleanup import cleanup_launch
from mlgym_tui.batch.executor import Sink, StopRequests
from mlgym_tui.batch.job import EpisodeJob, Outcome, execute_job
from mlgym_tui.core.errors import UserError

PASSED_ENV = ("PYTHONPATH",)
"""Driver environment variables every episode sees (with every ``MLGYM_*`` one), so all nodes resolve
tasks, agents and caches alike."""


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UserError("--executor ray needs Ray: pip install 'mlgym-tui[ray]'") from None
    return ray


class _ProgressChannel:
    """Actor: episodes push progress records, the driver drains them."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, dict[str, Any]]] = []

    def push(self, launch: str, kind: str, data: dict[str, Any]) -> None:
        self.items.append((launch, kind, data))

    def drain(self) -> list[tuple[str, str, dict[str, Any]]]:
        items, self.items = self.items, []
        return items


class _BudgetActor:
    """Async actor: per-provider call slots and the batch's running cost."""

    def __init__(self, call_limits: dict[str, int], cost_limit: float | None) -> None:
        self.call_limits = call_limits
        self.cost_limit = cost_limit
        self.spent = 0.0
        self._semaphores: dict[str, Any] = {}

    def _semaphore(self, provider: str) -> Any:
        import asyncio

        if provider not in self._semaphores:
            n = limit_for(self.call_limits, provider)
            self._semaphores[provider] = asyncio.Semaphore(n) if n is not None else None
        return self._semaphores[provider]

    async def acquire(self, provider: str) -> None:
        sem = self._semaphore(provider)
        if sem is not None:
            await sem.acquire()

    async def release(self, provider: str) -> None:
        sem = self._semaphore(provider)
        if sem is not None:
            sem.release()

    async def add_cost(self, dollars: float) -> float:
        self.spent += dollars
        return self.spent

    async def status(self) -> tuple[float, bool]:
        return self.spent, self.cost_limit is not None and self.spent >= self.cost_limit


class RayGate:
    """The worker-side :class:`~mlgym_tui.batch.budget.Gate` over the budget actor (picklable)."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor

    def acquire(self, provider: str) -> None:
        import ray

        ray.get(self.actor.acquire.remote(provider))

    def release(self, provider: str) -> None:
        self.actor.release.remote(provider)

    def add_cost(self, dollars: float) -> None:
        import ray

        # Wait for it: the async actor may otherwise answer the next exhausted() before counting this
        # cost, and the batch overspends its limit by a step.
        ray.get(self.actor.add_cost.remote(dollars))

    def exhausted(self) -> bool:
        import ray

        return bool(ray.get(self.actor.status.remote())[1])


def _ray_episode(job: EpisodeJob, channel: Any, gate: Any) -> dict[str, Any]:
    """Body of the Ray task (runs on some node)."""
    import ray

    # A retried try may land where the crashed one left its sandbox processes.
    cleanup_launch(job.launch, job.backend)
    if job.wants_gpu and not job.gpus:
        job.gpus = [str(g) for g in ray.get_gpu_ids()] or None

    def send(kind: str, data: dict[str, Any]) -> None:
        channel.push.remote(job.launch, kind, data)

    outcome = execute_job(job, send, gate)
    outcome.host = f"{outcome.host}@{ray.util.get_node_ip_address()}"  # nodes may share a host name
    return outcome.to_dict()


@dataclass
class _InFlight:
    job: EpisodeJob
    submitted: float
    started: float | None = None
    cancelled: float | None = None
    timed_out: bool = False


class RayExecutor:
    """Submits jobs as Ray tasks, at most ``workers`` in flight."""

    name = "ray"

    def __init__(
        self,
        workers: int,
        address: str | None = None,
        retries: int = 1,
        gpus_per_episode: int = 1,
        call_limits: dict[str, int] | None = None,
        cost_limit: float | None = None,
        grace: float = 30.0,
        stop: StopRequests | None = None,
        fresh_workers: bool = False,
    ) -> None:
        self.workers = max(1, workers)
        self.fresh_workers = fresh_workers
        self.stop = stop
        self.address = address
        self.retries = retries
        self.gpus_per_episode = gpus_per_episode
        self.call_limits = call_limits or {}
        self.cost_limit = cost_limit
        self.grace = grace
        self.spent = 0.0
        self._budget: Any = None

    def _connect(self, ray: Any) -> None:
        """Start or join Ray; then take Ctrl-C and SIGTERM back from it (it installs its own)."""
        kwargs: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
        if self.address:
            # Nodes started elsewhere do not share this process's environment; a private Ray started
            # below inherits it, and its workers can then be started before the first task arrives.
            env = {k: v for k, v in os.environ.items() if v and (k in PASSED_ENV or k.startswith("MLGYM_"))}
            kwargs.update(address=self.address, runtime_env={"env_vars": env})
        else:
            # Episodes pass only small records through Ray, so a small object store is plenty.
            kwargs.update(num_cpus=self.workers, include_dashboard=False, object_store_memory=256 * 2**20)
        ray.init(**kwargs)
        if self.stop is not None:
            self.stop.install()

    def run(self, jobs: list[EpisodeJob], sink: Sink) -> bool:
        ray = import_ray()
        self._connect(ray)
        try:
            return self._run(ray, jobs, sink)
        finally:
            if self._budget is not None:
                self.spent = float(ray.get(self._budget.status.remote())[0])
            ray.shutdown()

    def _run(self, ray: Any, jobs: list[EpisodeJob], sink: Sink) -> bool:
        remote = ray.remote(max_calls=1 if self.fresh_workers else 0)(_ray_episode)
        channel = ray.remote(num_cpus=0)(_ProgressChannel).remote()
        gate = None
        if self.call_limits or self.cost_limit is not None:
            self._budget = ray.remote(num_cpus=0)(_BudgetActor).remote(self.call_limits, self.cost_limit)
            gate = RayGate(self._budget)
        # A cluster without GPUs runs GPU tasks without one (as the local executor does without --gpus)
        # rather than leaving them pending for ever.
        has_gpus = ray.cluster_resources().get("GPU", 0) > 0
        pending = list(jobs)
        inflight: dict[Any, _InFlight] = {}
        try:
            return self._loop(ray, remote, channel, gate, pending, inflight, has_gpus, sink)
        finally:
            for ref in inflight:  # only after an unexpected error
                ray.cancel(ref, force=True)

    def _loop(
        self, ray: Any, remote: Any, channel: Any, gate: Any, pending: list[EpisodeJob],
        inflight: dict[Any, _InFlight], has_gpus: bool, sink: Sink,
    ) -> bool:
        by_launch: dict[str, _InFlight] = {}
        handled = 0
        while pending or inflight:
            requests = sink.interrupts()
            if requests > handled:
                # First request: the episodes end in order (KeyboardInterrupt in the task); second: killed.
                handled = requests
                pending.clear()
                for ref in inflight:
                    ray.cancel(ref, force=requests > 1)
            self._refresh_spent(ray)
            if not handled and sink.stop_reason() is not None:
                pending.clear()
            while pending and len(inflight) < self.workers and not handled:
                job = pending.pop(0)
                ref = remote.options(
                    num_cpus=job.cpus,
                    num_gpus=self.gpus_per_episode if job.wants_gpu and has_gpus else 0,
                    memory=job.memory,
                    max_retries=self.retries,
                    retry_exceptions=False,
                    name=f"episode:{job.cell.key}",
                ).remote(job, channel, gate)
                inflight[ref] = by_launch[job.launch] = _InFlight(job, time.monotonic())
                sink.started(job, {})
            ready: list[Any] = []
            if inflight:
                # Return at the first end, then collect any others already done.
                first, rest = ray.wait(list(inflight), num_returns=1, timeout=0.2)
                more = ray.wait(rest, num_returns=len(rest), timeout=0)[0] if first and rest else []
                ready = first + more
            for launch, kind, data in ray.get(channel.drain.remote()):
                item = by_launch.get(launch)
                if item is None:
                    continue
                if kind == "started":
                    item.started = item.started or time.monotonic()
                elif kind == "progress":
                    sink.progress(item.job, data)
            for ref in ready:
                item = inflight.pop(ref)
                by_launch.pop(item.job.launch, None)
                sink.finished(item.job, self._outcome(ray, ref, item, handled > 0))
            self._guard(ray, inflight)
        return handled > 0

    def _refresh_spent(self, ray: Any) -> None:
        """``spent`` from the budget actor, which also counts the episodes still running."""
        if self._budget is not None and self.cost_limit is not None:
            self.spent = float(ray.get(self._budget.status.remote())[0])

    def _guard(self, ray: Any, inflight: dict[Any, _InFlight]) -> None:
        now = time.monotonic()
        for ref, item in inflight.items():
            if item.started is None:
                continue
            if item.cancelled is None and now - item.started > item.job.guard:
                item.timed_out, item.cancelled = True, now
                ray.cancel(ref, force=False)
            elif item.cancelled is not None and now - item.cancelled > self.grace:
                ray.cancel(ref, force=True)

    def _outcome(self, ray: Any, ref: Any, item: _InFlight, interrupted: bool) -> Outcome:
        job = item.job
        total = time.monotonic() - item.submitted
        try:
            outcome = Outcome(**ray.get(ref))
        except ray.exceptions.TaskCancelledError:
            state = "timeout" if item.timed_out else "interrupted"
            why = "stopped by Ctrl-C" if interrupted else "cancelled"
            outcome = Outcome(job.launch, job.cell.key, state, message=why)
        except ray.exceptions.RayError as exc:
            # Worker or node died and the retries are spent (or Ray itself failed).
            outcome = Outcome(job.launch, job.cell.key, "crashed", message=f"{type(exc).__name__}: {str(exc)[:300]}")
        if item.timed_out and outcome.state == "interrupted":
            outcome.state = "timeout"
            outcome.message = f"stopped by the wall-time guard after {job.guard:g} s"
        outcome.total_time = total
        return outcome
