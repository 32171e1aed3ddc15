"""Run folders on disk: the append-only ``trajectory.jsonl``, its reader, and ``result.json``.

The recorder is an event-bus subscriber that writes each event as one JSON line and flushes it at once,
so a killed process leaves every event up to the one in flight (the kernel keeps flushed data even when
the process dies). The reader tolerates exactly what a crash can leave — a torn last line — and reports
anything else it had to skip, with line numbers, instead of failing.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from mlgym_tui.core.errors import SandboxError
from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.core.secrets import SecretValues

SCHEMA = "mlgym-tui/trajectory"
SCHEMA_VERSION = 1
RESULT_SCHEMA = "mlgym-tui/result"
TRAJECTORY_FILE = "trajectory.jsonl"
RESULT_FILE = "result.json"
MAX_LINE_BYTES = 64 * 1024 * 1024
"""Lines longer than this are skipped by the reader (a 200 MB observation is not loaded into memory)."""


def utc_stamp(moment: datetime | None = None) -> str:
    """Folder-safe UTC timestamp, sortable as text."""
    return (moment or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def run_folder(out: Path, task_id: str, agent: str, model: str | None, seed: int) -> Path:
    """``<out>/<task>/<agent>[-<model>]/<UTC timestamp>-s<seed>/`` (DESIGN.md), made unique if needed."""
    label = agent if not model else f"{agent}-{model.replace('/', '_').replace(':', '_')}"
    base = out / _path_component(task_id) / _path_component(label)
    stamp = utc_stamp()
    base.mkdir(parents=True, exist_ok=True)
    folder = base / f"{stamp}-s{seed}"
    n = 1
    while True:  # mkdir, not exists(): two processes starting the same second must not share a folder
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            n += 1
            folder = base / f"{stamp}-s{seed}-{n}"


def _path_component(name: str) -> str:
    """One folder name from any text: no separators, never ``.`` or ``..`` (an imported run's task or
    agent name must not lead outside ``--out``)."""
    cleaned = "".join("_" if ch in "/\\\0" else ch for ch in name).strip()
    return cleaned if cleaned not in ("", ".", "..") else cleaned.replace(".", "_") or "_"


def host_info() -> dict[str, Any]:
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


class RecordingError(SandboxError):
    """The run folder cannot be written (disk full, folder gone): the episode ends as ``exit_runtime``."""


RESERVE_FILE = ".space-reserve"
RESERVE_BYTES = 64 * 1024
"""Disk space held from the start of an episode and let go when the disk fills, so the last lines of the
trajectory and ``result.json`` can still be written."""


class TrajectoryRecorder:
    """Appends a header line, then every event, to ``trajectory.jsonl`` as it happens.

    Each line goes to the file in one ``write`` and is scrubbed of the values of this process's secret
    environment variables first. When a write fails (a full disk), the file is cut back to its last
    complete line, the space reserve is let go, and :class:`RecordingError` ends the episode; later lines
    (the ending) are still tried, without raising again.
    """

    def __init__(self, path: Path, header: dict[str, Any], secrets: SecretValues | None = None) -> None:
        self.path = path
        self.secrets = secrets or SecretValues()
        self.failure: OSError | None = None
        self._reserve = path.parent / RESERVE_FILE
        _hold_space(self._reserve)
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self._good = os.fstat(self._fd).st_size
        self._write({"kind": "header", "schema": SCHEMA, "version": SCHEMA_VERSION, **header})

    def _write(self, record: dict[str, Any]) -> None:
        if self._fd is None:
            return
        line = self.secrets.redact(json.dumps(record, ensure_ascii=False, default=str)) + "\n"
        data = line.encode("utf-8", errors="surrogateescape")
        try:
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            self._good += len(data)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._good)
            self.release_reserve()
            if self.failure is None:
                self.failure = exc
                raise RecordingError(f"cannot write the run folder ({self.path.parent}): {exc.strerror or exc}") from exc

    def __call__(self, event: Event) -> None:
        self._write(event.to_dict())

    def release_reserve(self) -> None:
        """Let go of the space reserve (the disk is full: what is left to write needs it)."""
        with contextlib.suppress(OSError):
            self._reserve.unlink()

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
        self.release_reserve()


def _hold_space(path: Path) -> None:
    """Allocate the reserve file (best effort: a file system without fallocate gets written zeros)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return
    try:
        os.posix_fallocate(fd, 0, RESERVE_BYTES)
    except OSError:
        with contextlib.suppress(OSError):
            os.write(fd, bytes(RESERVE_BYTES))
    finally:
        os.close(fd)


@dataclass
class Trajectory:
    """A trajectory read back: header, events, and what had to be skipped."""

    path: Path
    header: dict[str, Any]
    events: list[Event]
    problems: list[str] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        return any(e.kind is EventKind.EPISODE_ENDED for e in self.events)


class TrajectoryError(Exception):
    """The file cannot be read as a trajectory at all (no header, not JSON lines)."""


def read_trajectory(path: Path) -> Trajectory:
    """Read a ``trajectory.jsonl``; see the module docstring for what is tolerated."""
    if path.is_dir():
        path = path / TRAJECTORY_FILE
    if not path.is_file():
        raise TrajectoryError(f"{path}: no such trajectory file")
    header: dict[str, Any] | None = None
    events: list[Event] = []
    problems: list[str] = []
    before_header: str | None = None
    """What the first unreadable line before the header was (a binary or cut file has no header)."""
    with path.open("rb") as f:
        for number, raw in enumerate(_bounded_lines(f, problems, path), start=1):
            if raw is None:
                continue
            try:
                record = json.loads(raw)
                if not isinstance(record, dict):
                    raise ValueError("not a JSON object")
                if _depth_over(record, MAX_NESTING):
                    raise ValueError(f"nested more than {MAX_NESTING} levels deep")
            except (RecursionError, ValueError) as exc:
                reason = "nested too deeply to read" if isinstance(exc, RecursionError) else (
                    f"not valid JSON ({str(exc)[:80]})")
                problems.append(f"{path}:{number}: skipped, {reason}")
                before_header = before_header or (f"line {number} is {reason}" if header is None else None)
                continue
            if header is None:
                if record.get("kind") != "header":
                    raise TrajectoryError(f"{path}: line 1 is not a trajectory header")
                if int(record.get("version", 0)) > SCHEMA_VERSION:
                    problems.append(
                        f"{path}: written by a newer version ({record.get('version')}); reading what is known"
                    )
                header = record
                continue
            try:
                events.append(Event.from_dict(record))
            except (KeyError, ValueError, TypeError) as exc:
                problems.append(f"{path}:{number}: skipped, not an event ({exc})")
    if header is None:
        if before_header:  # lines there, none of them a header: say what the first one was
            raise TrajectoryError(f"{path}: not a trajectory ({before_header})")
        raise TrajectoryError(f"{path}: empty file, no trajectory header")
    return Trajectory(path=path, header=header, events=events, problems=problems)


MAX_NESTING = 64
"""Events are flat records; a line nested deeper than this is skipped (exporters walk records recursively)."""


def _depth_over(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists/dicts more than ``limit`` levels (iterative: no recursion limit)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _bounded_lines(f: IO[bytes], problems: list[str], path: Path):  # noqa: ANN202 - generator
    """Yield lines, or None for a line over MAX_LINE_BYTES (skipped without holding it in memory)."""
    number = 0
    while True:
        line = f.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = f.readline(MAX_LINE_BYTES)
            problems.append(f"{path}:{number}: skipped, line longer than {MAX_LINE_BYTES // (1 << 20)} MiB")
            yield None
            continue
        yield line


@dataclass
class Evaluation:
    """One evaluation of the workspace (a validation or the submission)."""

    step: int
    valid: bool
    metrics: dict[str, float] = field(default_factory=dict)
    score: float | None = None
    error: str | None = None
    tampered: bool = False
    note: str | None = None
    """Something the agent should know about a scored evaluation (e.g. undeclared metrics dropped)."""

    def to_dict(self) -> dict[str, Any]:
        out = {
            "step": self.step,
            "valid": self.valid,
            "metrics": self.metrics,
            "score": self.score,
            "error": self.error,
            "tampered": self.tampered,
        }
        if self.note:
            out["note"] = self.note
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Evaluation:
        return cls(
            step=int(raw.get("step", 0)),
            valid=bool(raw.get("valid")),
            metrics=dict(raw.get("metrics") or {}),
            score=raw.get("score"),
            error=raw.get("error"),
            tampered=bool(raw.get("tampered", False)),
            note=raw.get("note"),
        )


@dataclass
class EpisodeResult:
    """What ``result.json`` holds: written once, at the end of an episode."""

    task: str
    agent: str
    model: str | None
    backend: str
    seed: int
    exit_status: str
    primary_metric: str
    direction: str
    steps: int = 0
    wall_time: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    validations: list[Evaluation] = field(default_factory=list)
    submission: Evaluation | None = None
    baseline: dict[str, float] = field(default_factory=dict)
    stand_in: bool = False
    started: str = ""
    ended: str = ""
    source: str = "mlgym-tui"
    task_source: str = "mlgym-tui"
    """Where the task's definition came from: this project's ``tasks/`` or an MLGym checkout (``mlgym``);
    ``source`` is who ran the episode."""
    source_exit_status: str | None = None
    """Imported runs: the exit status exactly as the other system wrote it (``exit_status`` is ours)."""
    source_last_action: str | None = None
    """Imported runs whose source status is empty: the last action, by which MLGym names such an ending."""
    source_id: str | None = None
    """Imported runs: ``sha256:<hex>`` of the source file, so the same source reached twice is one run."""
    sandbox: str = ""
    """What confined the agent: ``bwrap`` or ``none`` (local backend), ``docker``; empty when unknown."""

    @property
    def final_score(self) -> float | None:
        return self.submission.score if self.submission and self.submission.valid else None

    def to_dict(self) -> dict[str, Any]:
        scored = [v.metrics for v in self.validations if v.valid]
        if self.submission and self.submission.valid:
            scored.append(self.submission.metrics)
        return {
            "schema": RESULT_SCHEMA,
            "version": SCHEMA_VERSION,
            "task": self.task,
            "agent_name": self.agent,
            "model": self.model,
            "backend": self.backend,
            "seed": self.seed,
            "exit_status": self.exit_status,
            "primary_metric": self.primary_metric,
            "direction": self.direction,
            "score": self.final_score,
            "steps": self.steps,
            "wall_time": round(self.wall_time, 3),
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost": self.cost,
            "validations": [v.to_dict() for v in self.validations],
            "submission": self.submission.to_dict() if self.submission else None,
            "stand_in": self.stand_in,
            "started": self.started,
            "ended": self.ended,
            "source": self.source,
            "task_source": self.task_source,
            **{
                k: v
                for k, v in (
                    ("source_exit_status", self.source_exit_status),
                    ("source_last_action", self.source_last_action),
                    ("source_id", self.source_id),
                )
                if v is not None
            },
            "sandbox": self.sandbox,
            # MLGym's results.json shape: every scored evaluation in order, the final one last.
            "agent": scored,
            "baseline": self.baseline,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> EpisodeResult:
        sub = raw.get("submission")
        return cls(
            task=raw["task"],
            agent=raw["agent_name"],
            model=raw.get("model"),
            backend=raw.get("backend", "?"),
            seed=int(raw.get("seed", 0)),
            exit_status=raw["exit_status"],
            primary_metric=raw["primary_metric"],
            direction=raw["direction"],
            steps=int(raw.get("steps", 0)),
            wall_time=float(raw.get("wall_time", 0)),
            tokens_in=int(raw.get("tokens_in", 0)),
            tokens_out=int(raw.get("tokens_out", 0)),
            cost=float(raw.get("cost", 0.0)),
            validations=[Evaluation.from_dict(v) for v in raw.get("validations", [])],
            submission=Evaluation.from_dict(sub) if sub else None,
            baseline=dict(raw.get("baseline") or {}),
            stand_in=bool(raw.get("stand_in", False)),
            started=raw.get("started", ""),
            ended=raw.get("ended", ""),
            source=raw.get("source", "mlgym-tui"),
            task_source=raw.get("task_source", "mlgym-tui"),
            source_exit_status=_optional_str(raw.get("source_exit_status")),
            source_last_action=_optional_str(raw.get("source_last_action")),
            source_id=_optional_str(raw.get("source_id")),
        )


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def write_result(folder: Path, result: EpisodeResult, secrets: SecretValues | None = None) -> Path:
    """Write ``result.json`` atomically (a reader never sees half of it), scrubbed of secret values.

    On a full disk the run folder's space reserve is let go and the write tried once more."""
    path = folder / RESULT_FILE
    tmp = path.with_suffix(".json.tmp")
    text = (secrets or SecretValues()).redact(json.dumps(result.to_dict(), indent=2, ensure_ascii=False)) + "\n"
    try:
        tmp.write_text(text, encoding="utf-8")
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        with contextlib.suppress(OSError):
            (folder / RESERVE_FILE).unlink()
        tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_result(folder: Path) -> EpisodeResult:
    """Read ``result.json`` of a run folder; raises ValueError/KeyError/OSError on a bad file."""
    return EpisodeResult.from_dict(json.loads((folder / RESULT_FILE).read_text(encoding="utf-8")))
