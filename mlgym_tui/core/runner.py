"""One episode from start to run folder: the glue the CLI, the workbench and the batch runner share."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgym_tui.core.agent import Agent
from mlgym_tui.core.control_file import FileControl
from mlgym_tui.core.dataset_sources import check_available
from mlgym_tui.core.env import ResearchEnv
from mlgym_tui.core.errors import UserError
from mlgym_tui.core.events import EventBus, EventKind, Subscriber
from mlgym_tui.core.memory import MemoryStore, make_ranker
from mlgym_tui.core.memory.store import MEMORY_FILE
from mlgym_tui.core.runtime import RuntimeSettings
from mlgym_tui.core.secrets import SecretValues, scrub_tree
from mlgym_tui.core.session import Controller, Session, SessionLimits
from mlgym_tui.core.task import TaskConfig
from mlgym_tui.core.trajectory import (
    EpisodeResult,
    RecordingError,
    TrajectoryRecorder,
    host_info,
    run_folder,
    write_result,
)

_log = logging.getLogger(__name__)


@dataclass
class EpisodeSpec:
    """Everything that defines one episode."""

    task: TaskConfig
    agent: Agent
    out: Path
    backend: str = "local"
    seed: int = 0
    settings: RuntimeSettings = field(default_factory=RuntimeSettings)
    limits: SessionLimits = field(default_factory=SessionLimits)
    config: dict[str, Any] = field(default_factory=dict)
    """Agent/run configuration recorded in the trajectory header (never secrets)."""
    memory: bool = False
    """Offer the memory_write / memory_read tools (the research log)."""
    memory_from: list[Path] = field(default_factory=list)
    """Run folders (or memory.jsonl files) whose notes are carried into this episode."""
    memory_dir: Path | None = None
    """A per-task memory folder: notes of earlier runs are read from ``<dir>/<task>/memory.jsonl`` and this
    run's notes are appended there at the end."""


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C so a terminated run still ends its trajectory and result cleanly."""
    try:
        previous = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_episode(
    spec: EpisodeSpec,
    subscribers: list[Subscriber] | None = None,
    controller: Controller | None = None,
    on_session: Callable[[Session], None] | None = None,
    log: Callable[[str], None] | None = None,
) -> tuple[Path, EpisodeResult]:
    """Run one episode into a new run folder; returns the folder and the result (also on disk)."""
    # a data set this episode cannot get is one line, before anything is built or written
    check_available(spec.task, spec.backend == "docker" and spec.settings.network)
    check_episode_options(spec)
    try:
        folder = run_folder(spec.out, spec.task.id, spec.agent.name, spec.agent.model, spec.seed)
    except OSError as exc:
        raise UserError(f"--out {spec.out}: cannot create the run folder there ({_reason(exc)})") from exc
    header = {
        "task": spec.task.id,
        "agent": spec.agent.name,
        "model": spec.agent.model,
        "backend": spec.backend,
        "seed": spec.seed,
        "config": spec.config,
        "host": host_info(),
        "pid": os.getpid(),
        "folder": str(folder),
        "metric": spec.task.primary.name,
        "direction": spec.task.primary.direction,
        "baseline": spec.task.baseline.scores,
        "stand_in": spec.task.stand_in,
        "task_source": spec.task.source,
    }
    try:
        recorder = TrajectoryRecorder(folder / "trajectory.jsonl", header)
    except (OSError, RecordingError) as exc:
        raise UserError(f"--out {spec.out}: cannot write the run folder {folder} ({_reason(exc)})") from exc
    bus = EventBus(on_error=lambda sub, exc: _view_failed(sub, exc) if sub is not recorder else _raise(exc))
    bus.subscribe(recorder)
    for sub in subscribers or []:
        bus.subscribe(sub)
    memory = _open_memory(spec, folder, recorder.secrets) if spec.memory else None
    env = ResearchEnv(
        task=spec.task, backend=spec.backend, runtime_settings=spec.settings, bus=bus, memory=memory,
        max_steps=spec.limits.max_steps,
    )
    if log is not None:
        env.log = log
    control = FileControl(folder, spec.agent, inner=controller)
    session = Session(env, spec.agent, spec.limits, control)
    session.folder = folder
    control.attach(bus, session.request_stop)
    if on_session is not None:
        on_session(session)
    if memory is not None:
        for warning in memory.warnings:
            bus.publish(EventKind.ERROR, message=warning, source="memory")
        if memory.fallback_reason:
            bus.publish(
                EventKind.MEMORY, op="fallback", ranker=memory.ranker.name, message=memory.fallback_reason
            )
    try:
        with _sigterm_as_interrupt():
            result = session.run(seed=spec.seed)
            write_result(folder, result, recorder.secrets)
            try:
                env.copy_workspace_out(folder / "workspace")
            except Exception as exc:  # noqa: BLE001 - a lost copy must not lose the result
                with contextlib.suppress(OSError):
                    (folder / "workspace.error").write_text(f"copying the workspace failed: {exc}\n")
    finally:
        control.close()
        env.close()
        spec.agent.close()
        recorder.close()
        if memory is not None:
            memory.close()
        # the files nothing scrubbed as it wrote them (the workspace, error notes): no secret value stays
        scrub_tree(folder, recorder.secrets, skip=SCRUBBED_AS_WRITTEN)
    return folder, result


SCRUBBED_AS_WRITTEN = frozenset({"trajectory.jsonl", "result.json"})
"""Run-folder files scrubbed line by line as they are written; the end-of-episode sweep skips them."""


def _open_memory(spec: EpisodeSpec, folder: Path, secrets: SecretValues) -> MemoryStore:
    ranker, reason = make_ranker()
    carried = list(spec.memory_from)
    mirror = spec.memory_dir / spec.task.id / MEMORY_FILE if spec.memory_dir is not None else None
    if mirror is not None and mirror.exists():
        carried.append(mirror)
    return MemoryStore(
        folder / MEMORY_FILE,
        spec.task.id,
        ranker,
        carried_from=carried,
        fallback_reason=reason,
        mirror=mirror,
        secrets=secrets,
    )


def check_episode_options(spec: EpisodeSpec) -> None:
    """Numbers that make no sense are one line before anything is built (``--max-steps 0`` used to be
    silently ignored, ``--pids-limit -5`` silently removed the fork-bomb limit)."""
    if spec.seed < 0:
        raise UserError(f"--seed {spec.seed}: must be 0 or more")
    limits = spec.limits
    if limits.max_steps is not None and limits.max_steps < 1:
        raise UserError(f"--max-steps {limits.max_steps}: must be at least 1")
    if limits.wall_time is not None and not limits.wall_time > 0:
        raise UserError(f"wall-time limit {limits.wall_time:g}: must be more than 0 seconds")
    if limits.cost is not None and not limits.cost > 0:
        raise UserError(f"cost limit {limits.cost:g}: must be more than 0")
    settings = spec.settings
    if settings.pids_limit is not None and settings.pids_limit < 1:
        raise UserError(f"--pids-limit {settings.pids_limit}: must be at least 1 (it is what stops fork bombs)")
    if settings.cpus is not None and not settings.cpus > 0:
        raise UserError(f"--cpus {settings.cpus:g}: must be more than 0")
    if settings.output_cap_bytes < 1:
        raise UserError(f"output cap {settings.output_cap_bytes}: must be at least 1 byte")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


def _raise(exc: Exception) -> None:
    raise exc


def _view_failed(subscriber: object, exc: Exception) -> None:
    """A view (progress line, workbench feed) broke: log it with its traceback and carry on recording."""
    _log.error("event subscriber %r failed", subscriber, exc_info=exc)


def config_summary(**values: Any) -> dict[str, Any]:
    """JSON-safe copy of run options for the header."""
    return json.loads(json.dumps(values, default=str))
