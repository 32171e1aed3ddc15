"""Every episode under a folder, summarised live: the model behind ``mlgym-tui fleet``.

A benchmark run is hundreds of run folders, some still growing (written by this machine's batch, or by
Ray workers on a shared file system). :class:`FleetIndex` keeps one :class:`FleetRow` per run folder and
updates a row by reading only the bytes its ``trajectory.jsonl`` gained since the last look, so a refresh
costs what changed, not what exists. Cells of a batch that have not started yet come from the batch's
manifest (``batch.json``) as *queued* rows.

No UI here: the fleet screen, a script or a test reads the rows.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgym_tui.core.direction import Direction
from mlgym_tui.core.trajectory import RESULT_FILE, TRAJECTORY_FILE

MANIFEST = "batch.json"
BATCH_STATUS = "batch-status.json"
SKIP_DIRS = {"workspace", ".git", "__pycache__", "node_modules", ".venv"}
READ_CHUNK = 1 << 20
HEADER_LIMIT = 1 << 20
_SKIPPED_KINDS = (b'{"kind": "output"', b'{"kind": "thought"', b'{"kind": "action"', b'{"kind": "file_')
"""Events the fleet does not need: recognised by their first bytes and never parsed (most of a file)."""


@dataclass
class FleetRow:
    """One episode as the fleet shows it."""

    key: str
    """The run folder relative to the fleet's root (or ``queued:<cell>`` for a batch cell not started)."""
    folder: Path | None
    task: str = "?"
    agent: str = "?"
    model: str | None = None
    attempt: int | None = None
    seed: int | None = None
    status: str = "starting"
    """``queued``, ``starting``, ``running``, ``paused``, an exit status, or a batch mark (``crashed`` …)."""
    step: int = 0
    max_steps: int | None = None
    metric: str = ""
    direction: Direction = Direction.MAX
    baseline: float | None = None
    scores: list[float] = field(default_factory=list)
    """Valid evaluation scores (validations, then the submission) in order."""
    invalid: int = 0
    submission: float | None = None
    cost: float = 0.0
    started: float | None = None
    last_event: float | None = None
    ended: float | None = None
    host: str = ""
    pid: int | None = None
    batch: str | None = None
    cell: str | None = None
    version: int = 0
    """Increases whenever the row changed, so views redraw only the rows that did."""

    @property
    def competitor(self) -> str:
        return self.agent if not self.model else f"{self.agent} ({self.model})"

    @property
    def finished(self) -> bool:
        return self.ended is not None

    @property
    def live(self) -> bool:
        return self.status in ("starting", "running", "paused")

    @property
    def best(self) -> float | None:
        if not self.scores:
            return None
        return self.direction.best(self.scores)

    @property
    def gain(self) -> float | None:
        """Best score's improvement over the baseline, positive is better for either direction."""
        best = self.best
        if best is None or self.baseline is None:
            return None
        return self.direction.improvement(best, self.baseline)

    def elapsed(self, now: float | None = None) -> float | None:
        if self.started is None:
            return None
        end = self.ended if self.ended is not None else (now if now is not None else time.time())
        return max(0.0, end - self.started)


class _Tail:
    """How far one trajectory has been read."""

    __slots__ = ("offset", "partial", "size", "header_read")

    def __init__(self) -> None:
        self.offset = 0
        self.partial = b""
        self.size = -1
        self.header_read = False


class FleetIndex:
    """The rows of every run folder under ``root``; :meth:`refresh` brings them up to date."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.rows: dict[str, FleetRow] = {}
        self._tails: dict[str, _Tail] = {}
        self._queued: dict[str, FleetRow] = {}
        self._manifest_mtime: dict[Path, float] = {}
        self.problems: list[str] = []
        self.version = 0
        """Increases whenever any row changed (views redraw only then)."""

    # -- discovery -------------------------------------------------------------------------------
    def discover(self) -> list[Path]:
        """Run folders under the root (folders holding a trajectory), not descending into them."""
        found: list[Path] = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            if TRAJECTORY_FILE in filenames:
                found.append(Path(dirpath))
                dirnames[:] = []
                continue
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")]
        return found

    def refresh(self, changed: Iterable[Path] | None = None) -> bool:
        """Re-read what changed; ``changed`` (paths from a file watcher) limits the work to those runs,
        None checks every known run and looks for new ones. Returns whether any row changed."""
        before = self.version
        if changed is None:
            folders = self.discover()
            manifests = self._manifests()
        else:
            folders, manifests = [], []
            for path in changed:
                path = Path(path)
                if path.name == MANIFEST:
                    manifests.append(path)
                    continue
                folder = path if path.is_dir() and (path / TRAJECTORY_FILE).exists() else path.parent
                if (folder / TRAJECTORY_FILE).is_file():
                    folders.append(folder)
        for folder in dict.fromkeys(folders):
            self._update(folder)
        for manifest in manifests:
            self._read_manifest(manifest)
        self._settle_queue()
        return self.version != before

    def _manifests(self) -> list[Path]:
        top = self.root / MANIFEST
        found = [top] if top.is_file() else []
        for child in self.root.iterdir() if self.root.is_dir() else []:
            if child.is_dir() and not child.name.startswith(".") and (child / MANIFEST).is_file():
                found.append(child / MANIFEST)
        return found

    # -- one run ---------------------------------------------------------------------------------
    def _update(self, folder: Path) -> None:
        key = self._key(folder)
        tail = self._tails.get(key)
        if tail is None:
            tail = self._tails[key] = _Tail()
            self.rows[key] = FleetRow(key=key, folder=folder)
            self.version += 1
        row = self.rows[key]
        path = folder / TRAJECTORY_FILE
        try:
            size = path.stat().st_size
        except OSError:
            return
        changed = False
        if size != tail.size:
            tail.size = size
            changed = self._read_new(path, tail, row)
        changed = self._read_markers(folder, row) or changed
        if changed:
            row.version += 1
            self.version += 1

    def _key(self, folder: Path) -> str:
        try:
            return str(folder.relative_to(self.root))
        except ValueError:
            return str(folder)

    def _read_new(self, path: Path, tail: _Tail, row: FleetRow) -> bool:
        changed = False
        try:
            with path.open("rb") as f:
                f.seek(tail.offset)
                while True:
                    chunk = f.read(READ_CHUNK)
                    if not chunk:
                        break
                    tail.offset += len(chunk)
                    lines = (tail.partial + chunk).split(b"\n")
                    tail.partial = lines.pop()
                    if len(tail.partial) > HEADER_LIMIT * 64:  # a huge observation line: skip its body
                        tail.partial = b""
                    for raw in lines:
                        changed = self._take(raw, tail, row) or changed
        except OSError as exc:
            self.problems.append(f"{path}: {exc}")
        return changed

    def _take(self, raw: bytes, tail: _Tail, row: FleetRow) -> bool:
        if not raw or raw.startswith(_SKIPPED_KINDS):
            return False
        try:
            record = json.loads(raw)
        except ValueError:
            return False
        if not isinstance(record, dict):
            return False
        if not tail.header_read:
            tail.header_read = True
            if record.get("kind") == "header":
                self._apply_header(record, row)
                return True
        self._apply_event(record, row)
        return True

    @staticmethod
    def _apply_header(header: dict[str, Any], row: FleetRow) -> None:
        row.task = str(header.get("task") or "?")
        row.agent = str(header.get("agent") or "?")
        row.model = header.get("model")
        row.seed = _int(header.get("seed"))
        row.metric = str(header.get("metric") or "")
        row.direction = Direction.of(header.get("direction"))
        baseline = header.get("baseline")
        if isinstance(baseline, dict):
            row.baseline = _float(baseline.get(row.metric))
        else:
            row.baseline = _float(baseline)
        host = header.get("host")
        row.host = str(host.get("hostname", "")) if isinstance(host, dict) else str(host or "")
        row.pid = _int(header.get("pid"))
        config = header.get("config") if isinstance(header.get("config"), dict) else {}
        batch = config.get("batch") if isinstance(config.get("batch"), dict) else None
        if batch:
            row.batch = batch.get("id")
            row.cell = batch.get("cell")
            row.attempt = _int(batch.get("attempt"))
        elif row.seed is not None:
            row.attempt = row.seed

    @staticmethod
    def _apply_event(event: dict[str, Any], row: FleetRow) -> None:
        kind = event.get("kind")
        stamp = _float(event.get("time"))
        if stamp is not None:
            row.last_event = stamp
        step = _int(event.get("step"))
        if step is not None and step > row.step:
            row.step = step
        if kind == "episode_started":
            row.started = stamp
            row.max_steps = _int(event.get("max_steps"))
            row.status = "running"
            if event.get("baseline") is not None:
                row.baseline = _float(event.get("baseline"))
            row.metric = str(event.get("metric") or row.metric)
            row.direction = Direction.of(event.get("direction"), row.direction)
        elif kind in ("validation", "submission"):
            score = _float(event.get("score"))
            if event.get("valid") and score is not None:
                row.scores.append(score)
                if kind == "submission":
                    row.submission = score
            else:
                row.invalid += 1
        elif kind == "model_usage":
            total = _float(event.get("total_cost"))
            if total is not None:
                row.cost = total
        elif kind == "intervention" and row.ended is None:
            action = event.get("action")
            if action == "pause":
                row.status = "paused"
            elif action in ("resume", "stop"):
                row.status = "running"
        elif kind == "episode_ended":
            row.status = str(event.get("exit_status") or "ended")
            row.ended = stamp
            cost = _float(event.get("cost"))
            if cost is not None:
                row.cost = cost

    @staticmethod
    def _read_markers(folder: Path, row: FleetRow) -> bool:
        """A batch's mark (crashed, timeout …) is final and wins over what the trajectory says."""
        status_file = folder / BATCH_STATUS
        if status_file.is_file():
            try:
                mark = json.loads(status_file.read_text()).get("status")
            except (OSError, ValueError, AttributeError):
                mark = None
            if mark and row.status != mark:
                row.status = str(mark)
                row.ended = row.ended or row.last_event or time.time()
                return True
        elif row.ended is None and (folder / RESULT_FILE).is_file():
            try:
                result = json.loads((folder / RESULT_FILE).read_text())
            except (OSError, ValueError):
                return False
            row.status = str(result.get("exit_status") or "ended")
            row.ended = row.last_event or time.time()
            return True
        return False

    # -- batches not started yet -------------------------------------------------------------------
    def _read_manifest(self, path: Path) -> None:
        try:
            mtime = path.stat().st_mtime
            if self._manifest_mtime.get(path) == mtime:
                return
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return
        self._manifest_mtime[path] = mtime
        for key in [k for k, row in self._queued.items() if row.folder == path]:
            del self._queued[key]
        if data.get("state") != "running":
            self.version += 1
            return
        cells = data.get("cells") if isinstance(data.get("cells"), dict) else {}
        for cell, entry in cells.items():
            if not isinstance(entry, dict) or entry.get("state") != "pending":
                continue
            self._queued[f"queued:{cell}"] = FleetRow(
                key=f"queued:{cell}", folder=path, task=str(entry.get("task") or "?"),
                agent=str(entry.get("agent") or "?"), model=entry.get("model"),
                attempt=_int(entry.get("attempt")), seed=_int(entry.get("seed")), status="queued",
                batch=data.get("batch"), cell=cell,
            )
        self.version += 1

    def _settle_queue(self) -> None:
        started = {(row.batch, row.cell) for row in self.rows.values() if row.cell}
        for key, row in list(self._queued.items()):
            if (row.batch, row.cell) in started:
                del self._queued[key]
                self.version += 1

    def all_rows(self) -> list[FleetRow]:
        """Run rows, then queued cells."""
        return [*self.rows.values(), *self._queued.values()]

    def finished_folders(self) -> list[Path]:
        return [row.folder for row in self.rows.values() if row.finished and row.folder is not None]


def _int(value: Any) -> int | None:
    try:
        return None if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None
