"""One batch episode as a self-contained job: what a worker process (or a Ray worker) needs to run it.

A job is plain, picklable data; :func:`execute_job` turns it into an episode with the shared
:func:`~mlgym_tui.core.runner.run_episode`, so a batch run folder is exactly what ``mlgym-tui run`` writes,
plus the batch identity in the trajectory header. Progress goes back through a ``send`` callable (a pipe
for the local executor, an actor for Ray), throttled so a fast agent cannot flood it.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgym_tui.batch.budget import Gate, GatedAgent
from mlgym_tui.batch.grid import Cell
from mlgym_tui.core.direction import Direction
from mlgym_tui.core.events import Event, EventKind

LAUNCH_ENV = "MLGYM_BATCH_LAUNCH"
"""Set in every episode's sandbox, so processes a dead episode left behind can be found and stopped."""
LAUNCH_LABEL = "mlgym-tui.launch"
"""Container label with the same value (Docker backend)."""

Send = Callable[[str, dict[str, Any]], None]


@dataclass
class EpisodeJob:
    """Everything needed to run one cell once. ``launch`` is unique per try, ``cell.key`` per cell."""

    cell: Cell
    out: str
    batch_id: str
    launch: str
    backend: str = "local"
    agent_config: list[str] = field(default_factory=list)
    """``-c`` layers for the agent (files or key=value)."""
    base_url: str | None = None
    max_steps: int | None = None
    cost_limit: float | None = None
    """Per-episode cost limit (dollars)."""
    wall_time: float | None = None
    """Per-episode wall-time limit the session enforces (None: the task's)."""
    guard: float = 3600.0
    """Seconds after which the executor stops the episode from outside (a hang the session cannot see)."""
    wants_gpu: bool = False
    """The task asks for a GPU (``gpu: true`` in task.yaml); it then gets ``--gpus-per-episode`` devices."""
    gpus: list[str] | None = None
    """Device ids leased to this episode (set by the local executor, or by Ray inside the task)."""
    cpus: float = 1.0
    memory: int | None = None
    """Bytes of memory the episode declares (Ray scheduling; a container limit on the Docker backend)."""
    research_log: bool = False
    """Offer the memory_write / memory_read tools (``--memory``)."""
    memory_from: list[str] = field(default_factory=list)
    memory_dir: str | None = None


@dataclass
class Outcome:
    """How one job ended, as the executor reports it to the batch."""

    launch: str
    cell: str
    state: str
    """``finished`` (result written), ``crashed``, ``timeout``, ``interrupted`` or ``error`` (never started)."""
    folder: str | None = None
    exit_status: str | None = None
    score: float | None = None
    steps: int = 0
    cost: float = 0.0
    episode_time: float = 0.0
    """Seconds inside the job (task and agent set-up, episode, result), measured where it ran."""
    total_time: float = 0.0
    """Seconds from the executor's launch to its noticing the end; minus ``episode_time``, the overhead."""
    message: str = ""
    host: str = ""
    started_at: float = 0.0
    """Wall-clock time the job began where it ran (with the batch's launch time: the start-up latency)."""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class ProgressForwarder:
    """Event-bus subscriber that sends what the progress view shows: step, best score, cost."""

    def __init__(self, send: Send, interval: float = 0.25) -> None:
        self.send = send
        self.interval = interval
        self.best: float | None = None
        self.direction = Direction.MAX
        self.max_steps: int | None = None
        self.cost = 0.0
        self._last = 0.0

    def __call__(self, event: Event) -> None:
        d = event.data
        urgent = False
        if event.kind is EventKind.EPISODE_STARTED:
            self.direction = Direction.of(d.get("direction"))
            self.max_steps = d.get("max_steps")
            urgent = True
        elif event.kind in (EventKind.VALIDATION, EventKind.SUBMISSION) and d.get("valid"):
            score = d.get("score")
            if isinstance(score, int | float) and (
                self.direction.better(score, self.best)
            ):
                self.best = float(score)
                urgent = True
        elif event.kind is EventKind.MODEL_USAGE:
            self.cost = float(d.get("total_cost", self.cost))
        elif event.kind is not EventKind.ACTION:
            return
        now = time.monotonic()
        if urgent or now - self._last >= self.interval:
            self._last = now
            self.send(
                "progress",
                {"step": event.step, "max_steps": self.max_steps, "best": self.best, "cost": self.cost},
            )


def execute_job(job: EpisodeJob, send: Send, gate: Gate | None = None) -> Outcome:
    """Run the job's episode here and now; never raises for the episode's own failures."""
    from mlgym_tui.agents.episode import EpisodeOptions, build_episode
    from mlgym_tui.core.runner import run_episode
    from mlgym_tui.core.runtime import RuntimeSettings
    from mlgym_tui.core.task_sources import load_task

    started = time.monotonic()
    outcome = Outcome(launch=job.launch, cell=job.cell.key, state="error", host=socket.gethostname(),
                      started_at=time.time())
    send("started", {"pid": os.getpid(), "host": outcome.host})
    try:
        cell = job.cell
        task = load_task(cell.task)
        env = {LAUNCH_ENV: job.launch}
        options = EpisodeOptions(
            task=cell.task, agent=cell.agent, config=list(job.agent_config), model=cell.model,
            base_url=job.base_url, backend=job.backend, out=Path(job.out), seed=cell.seed,
            max_steps=job.max_steps, wall_time=job.wall_time, cost_limit=job.cost_limit,
            memory=job.research_log, memory_from=[Path(p) for p in job.memory_from],
            memory_dir=Path(job.memory_dir) if job.memory_dir else None,
            settings=RuntimeSettings(env=env, gpus=job.gpus or None, labels={LAUNCH_LABEL: job.launch}),
        )
        inner = options.make_agent()
        agent = GatedAgent(inner, gate, cell.provider) if gate is not None else inner
        spec = build_episode(
            options, task=task, agent=agent, described=inner,
            batch={"id": job.batch_id, "cell": cell.key, "attempt": cell.attempt, "launch": job.launch},
        )
        folder, result = run_episode(spec, subscribers=[ProgressForwarder(send)])
        interrupted = result.exit_status == "exit_interrupted"
        outcome.state = "interrupted" if interrupted else "finished"
        outcome.folder = str(folder)
        outcome.exit_status = result.exit_status
        outcome.score = result.final_score
        outcome.steps = result.steps
        outcome.cost = result.cost
    except KeyboardInterrupt:
        outcome.state, outcome.message = "interrupted", "stopped before the episode began"
    except Exception as exc:  # noqa: BLE001 - reported per episode; the batch goes on
        outcome.message = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    outcome.episode_time = time.monotonic() - started
    return outcome
