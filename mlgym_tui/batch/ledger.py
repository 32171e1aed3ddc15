"""Resume bookkeeping: which cells of a batch already have a finished run, and marking the ones that don't.

The run folders themselves are the record; nothing else has to survive a crash of the batch. A run folder
belongs to a cell when its trajectory header carries ``config.batch.cell`` (see :mod:`.grid`). A folder is

- **finished** when its ``result.json`` reads as a result and the episode was not interrupted;
- **unfinished** otherwise (killed mid-episode, hung and stopped, interrupted by Ctrl-C, half-written).

Unfinished folders are kept as evidence but *marked*: ``batch-status.json`` is written beside the
trajectory (``{"status": "crashed" | "timeout" | "interrupted" | "superseded" | "duplicate", ...}``) and a
``result.json`` it may have is renamed ``result.partial.json``. Scoring only reads ``result.json``, so a
marked folder is never counted, and a re-run of its cell cannot be counted twice.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlgym_tui.batch.grid import Cell
from mlgym_tui.core.errors import UserError
from mlgym_tui.core.exits import ExitStatus
from mlgym_tui.core.trajectory import RESULT_FILE, TRAJECTORY_FILE, read_result

STATUS_FILE = "batch-status.json"
PARTIAL_RESULT_FILE = "result.partial.json"
MANIFEST_FILE = "batch.json"
STATE_DIR = ".batch"
"""Batch-private files under the output folder (logs, lock); scoring skips dot-folders."""
HEADER_LIMIT = 1 << 20


@dataclass
class RunFolder:
    """One run folder of some batch cell, as found on disk."""

    folder: Path
    cell: str
    launch: str | None
    finished: bool
    exit_status: str | None = None
    score: float | None = None
    mark: str | None = None
    """The status in ``batch-status.json`` when the folder was already marked."""


def batch_header(folder: Path) -> dict[str, Any] | None:
    """``config.batch`` of the folder's trajectory header, or None when it is not a batch run."""
    try:
        with (folder / TRAJECTORY_FILE).open("rb") as f:
            first = f.readline(HEADER_LIMIT)
        header = json.loads(first)
    except (OSError, ValueError):
        return None
    batch = (header.get("config") or {}).get("batch") if isinstance(header, dict) else None
    return batch if isinstance(batch, dict) and isinstance(batch.get("cell"), str) else None


def inspect(folder: Path) -> RunFolder | None:
    """Classify one run folder (None when it belongs to no batch cell)."""
    batch = batch_header(folder)
    if batch is None:
        return None
    run = RunFolder(folder=folder, cell=batch["cell"], launch=batch.get("launch"), finished=False)
    status_path = folder / STATUS_FILE
    if status_path.exists():
        try:
            run.mark = str(json.loads(status_path.read_text()).get("status", "marked"))
        except (OSError, ValueError, AttributeError):
            run.mark = "marked"
        return run
    if (folder / RESULT_FILE).is_file():
        try:
            result = read_result(folder)
        except (OSError, ValueError, KeyError, TypeError):
            return run
        run.exit_status = result.exit_status
        run.score = result.final_score
        run.finished = result.exit_status != ExitStatus.INTERRUPTED
    return run


def scan(out: Path, tasks: Iterable[str] | None = None) -> list[RunFolder]:
    """Every batch run folder under ``out`` (``<out>/<task>/<label>/<run>/``), oldest first."""
    found: list[RunFolder] = []
    roots = [out / t for t in tasks] if tasks is not None else [p for p in _dirs(out) if not p.name.startswith(".")]
    for task_dir in roots:
        for label in _dirs(task_dir):
            for folder in _dirs(label):
                run = inspect(folder)
                if run is not None:
                    found.append(run)
    found.sort(key=lambda r: (r.folder.name, str(r.folder)))
    return found


def _dirs(path: Path) -> list[Path]:
    try:
        return sorted(p for p in path.iterdir() if p.is_dir() and p.name != "workspace")
    except OSError:
        return []


def mark(folder: Path, status: str, reason: str, batch_id: str | None = None) -> None:
    """Mark an unfinished folder so it is never scored; its files stay (see the module docstring)."""
    moved = None
    result = folder / RESULT_FILE
    if result.exists():
        os.replace(result, folder / PARTIAL_RESULT_FILE)
        moved = PARTIAL_RESULT_FILE
    record = {
        "status": status,
        "reason": reason,
        "batch": batch_id,
        "marked": datetime.now(UTC).isoformat(timespec="seconds"),
        "result_moved_to": moved,
    }
    tmp = folder / (STATUS_FILE + ".tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(tmp, folder / STATUS_FILE)


@dataclass
class ResumePlan:
    """What is left to run, and what was found."""

    todo: list[Cell]
    done: dict[str, RunFolder] = field(default_factory=dict)
    marked: list[tuple[Path, str]] = field(default_factory=list)
    """Folders marked while planning, with the status given."""


def reconcile(
    out: Path,
    cells: list[Cell],
    batch_id: str | None,
    rerun_statuses: frozenset[str] = frozenset(),
    default_status: str = "crashed",
) -> ResumePlan:
    """Mark every unfinished folder of the grid's cells and return the cells still without a finished run.

    Only call it while no episode of ``out`` is running (the batch lock guarantees it for batches).
    ``rerun_statuses``: exit statuses of finished runs to run again (their folders become *superseded*).
    Folders of cells outside the grid are left alone.
    """
    by_key = {c.key: c for c in cells}
    plan = ResumePlan(todo=[])
    for run in scan(out, sorted({c.task for c in cells})):
        if run.cell not in by_key or run.mark is not None:
            continue
        if not run.finished:
            why = "the episode ended by interruption" if run.exit_status else "no result: the episode stopped early"
            status = "interrupted" if run.exit_status == ExitStatus.INTERRUPTED else default_status
            mark(run.folder, status, why, batch_id)
            plan.marked.append((run.folder, status))
        elif run.exit_status in rerun_statuses:
            mark(run.folder, "superseded", f"re-run requested for {run.exit_status}", batch_id)
            plan.marked.append((run.folder, "superseded"))
        elif run.cell in plan.done:
            first = plan.done[run.cell].folder
            mark(run.folder, "duplicate", f"the cell already has a finished run: {first}", batch_id)
            plan.marked.append((run.folder, "duplicate"))
        else:
            plan.done[run.cell] = run
    plan.todo = [c for c in cells if c.key not in plan.done]
    return plan


@contextmanager
def batch_lock(out: Path) -> Iterator[Path]:
    """Hold ``<out>/.batch/lock`` for the batch's lifetime: two batches must not mark each other's runs."""
    state = out / STATE_DIR
    state.mkdir(parents=True, exist_ok=True)
    path = state / "lock"
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            raise UserError(f"{out}: another batch is running into this folder ({holder}); wait or use another --out") from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}\n")
        f.flush()
        try:
            yield state
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)


def write_manifest(out: Path, data: dict[str, Any]) -> Path:
    """``<out>/batch.json`` atomically: the grid, each cell's state and folder, for people and tools."""
    path = out / MANIFEST_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    os.replace(tmp, path)
    return path
