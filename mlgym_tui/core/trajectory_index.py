"""A byte index of a ``trajectory.jsonl``, so a viewer reads only the events it shows.

For every event line the index keeps where it is (offset, length), its step and kind, and a mark for the
timeline (a failed step, a validation, an invalid one). One pass builds it: kind and step are read from
the start of each line, where the recorder writes them, without decoding the rest; only observation,
evaluation and error lines are decoded, once, for their marks (:mod:`mlgym_tui.core.observations`).

The index is saved as a small sidecar in the cache (``<cache>/index/``) — never beside the trajectory,
whose folder may be read-only — and reused while the file is unchanged (same size and modification
time). A file that grew (a run still being written) is indexed from where the sidecar stopped, once the
first and last 4 KiB it indexed are found unchanged; one that changed any other way is indexed afresh. Memory
is ~20 bytes per event whatever the events hold: a 1 MB observation costs its 20 bytes until shown.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.core.observations import step_outcome
from mlgym_tui.core.trajectory import MAX_LINE_BYTES, SCHEMA_VERSION, TRAJECTORY_FILE, TrajectoryError
from mlgym_tui.paths import cache_dir

INDEX_VERSION = 1
KINDS: list[EventKind] = list(EventKind)
KIND_CODE = {kind: i for i, kind in enumerate(KINDS)}
FAILED = 1
"""Mark bit: the step failed here (an error, a failed or unparsable answer, an invalid evaluation)."""
EVALUATED = 2
"""Mark bit: a validation or submission."""
_PREFIX = re.compile(rb'^\{"kind": "([a-z_]+)", "step": (-?\d+)[,}]')
_MARKED = {EventKind.OBSERVATION, EventKind.VALIDATION, EventKind.SUBMISSION, EventKind.ERROR,
           EventKind.FORMAT_ERROR}
_READ = 4 * 1024 * 1024
QUICK_BYTES = 1024 * 1024
"""A trajectory this small is indexed before the replay's first paint, sidecar or not (a few ms)."""


def index_dir() -> Path:
    return cache_dir() / "index"


def _sidecar_key(file: Path) -> str:
    return hashlib.sha256(str(file.resolve()).encode()).hexdigest()[:24]


def _mark(event: Event) -> int:
    kind = event.kind
    if kind in (EventKind.VALIDATION, EventKind.SUBMISSION):
        return EVALUATED | (0 if event.data.get("valid") else FAILED)
    if kind in (EventKind.ERROR, EventKind.FORMAT_ERROR):
        return FAILED
    if kind is EventKind.OBSERVATION and event.step > 0 and step_outcome(event.data).failed:
        return FAILED
    return 0


class TrajectoryIndex:
    """See the module docstring. ``len(index)`` events; :meth:`read` and :meth:`range` decode them."""

    def __init__(self, path: Path, cache: Path | None = None) -> None:
        path = Path(path)
        self.path = path / TRAJECTORY_FILE if path.is_dir() else path
        if not self.path.is_file():
            raise TrajectoryError(f"{path}: no trajectory.jsonl here")
        self.cache = cache if cache is not None else index_dir()
        self.header: dict[str, Any] | None = None
        self.problems: list[str] = []
        self.offsets = array("q")
        self.lengths = array("q")
        self.steps = array("l")
        self.kinds = array("B")
        self.marks = array("B")
        self.end = 0
        """Bytes of the file indexed (a partial last line waits for its newline)."""
        self.lines = 0
        self.loaded_from_sidecar = False
        if not self._load():
            self._reset()
        self.refresh()
        self.save()

    def __len__(self) -> int:
        return len(self.offsets)

    # -- building ------------------------------------------------------------------------------
    def _reset(self) -> None:
        self.header = None
        self.problems = []
        for arr in (self.offsets, self.lengths, self.steps, self.kinds, self.marks):
            del arr[:]
        self.end = 0
        self.lines = 0

    def refresh(self) -> int:
        """Index what was appended since the last call; returns how many events were added."""
        try:
            size = self.path.stat().st_size
        except OSError as exc:
            raise TrajectoryError(f"{self.path}: {exc.strerror or exc}") from exc
        if size < self.end:  # rewritten, not appended: start again
            self._reset()
        if size == self.end:
            return 0
        before = len(self)
        with self.path.open("rb") as f:
            f.seek(self.end)
            pending = b""
            while True:
                chunk = f.read(_READ)
                if not chunk:
                    break
                data = pending + chunk
                start = 0
                base = self.end  # where ``data`` starts in the file: the unfinished line's first byte
                while True:
                    nl = data.find(b"\n", start)
                    if nl < 0:
                        break
                    self._take(data, start, nl, base + start)
                    start = nl + 1
                consumed = start
                self.end = base + consumed
                pending = data[consumed:]
                if len(pending) > MAX_LINE_BYTES:  # a line too long to hold: skip to its end
                    self.problems.append(f"{self.path}:{self.lines + 1}: skipped, line longer than "
                                         f"{MAX_LINE_BYTES // (1 << 20)} MiB")
                    rest = f.readline()
                    while rest and not rest.endswith(b"\n"):
                        rest = f.readline()
                    self.lines += 1
                    self.end = f.tell()
                    pending = b""
        return len(self) - before

    def _take(self, data: bytes, start: int, nl: int, offset: int) -> None:
        self.lines += 1
        line = data[start:nl]
        if not line.strip():
            return
        if self.header is None:
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict) or record.get("kind") != "header":
                raise TrajectoryError(f"{self.path}: line {self.lines} is not a trajectory header")
            if int(record.get("version", 0)) > SCHEMA_VERSION:
                self.problems.append(f"{self.path}: written by a newer version ({record.get('version')}); "
                                     "reading what is known")
            self.header = record
            return
        m = _PREFIX.match(line)
        kind: EventKind | None = None
        step = 0
        if m is not None:
            try:
                kind, step = EventKind(m[1].decode()), int(m[2])
            except ValueError:
                kind = None
        event: Event | None = None
        if kind is None or kind in _MARKED:
            event = self._decode(line, self.lines)
            if event is None:
                return
            kind, step = event.kind, event.step
        self.offsets.append(offset)
        self.lengths.append(nl - start)
        self.steps.append(step)
        self.kinds.append(KIND_CODE[kind])
        self.marks.append(_mark(event) if event is not None else 0)

    def _decode(self, line: bytes, number: int) -> Event | None:
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            self.problems.append(f"{self.path}:{number}: skipped, not valid JSON ({str(exc)[:80]})")
            return None
        try:
            return Event.from_dict(record)
        except (KeyError, ValueError, TypeError) as exc:
            self.problems.append(f"{self.path}:{number}: skipped, not an event ({exc})")
            return None

    # -- reading -------------------------------------------------------------------------------
    def kind(self, i: int) -> EventKind:
        return KINDS[self.kinds[i]]

    def raw(self, i: int) -> bytes:
        with self.path.open("rb") as f:
            f.seek(self.offsets[i])
            return f.read(self.lengths[i])

    def read(self, indices: Iterable[int]) -> list[Event]:
        """The events at ``indices`` (ascending), each decoded from its own line; neighbours read at once."""
        out: list[Event] = []
        with self.path.open("rb") as f:
            for run in _runs(indices):
                first, last = run[0], run[-1]
                f.seek(self.offsets[first])
                block = f.read(self.offsets[last] + self.lengths[last] - self.offsets[first])
                base = self.offsets[first]
                for i in run:
                    at = self.offsets[i] - base
                    event = self._decode(block[at : at + self.lengths[i]], -1)
                    if event is not None:
                        out.append(event)
        return out

    def range(self, start: int, stop: int) -> list[Event]:
        return self.read(range(start, stop)) if stop > start else []

    def bytes_between(self, start: int, stop: int) -> int:
        if stop <= start:
            return 0
        return self.offsets[stop - 1] + self.lengths[stop - 1] - self.offsets[start]

    @classmethod
    def opens_quickly(cls, path: Path, cache: Path | None = None) -> bool:
        """Whether opening ``path`` reads little: a sidecar to start from, or a small file."""
        path = Path(path)
        file = path / TRAJECTORY_FILE if path.is_dir() else path
        try:
            if file.stat().st_size <= QUICK_BYTES:
                return True
        except OSError:
            return False
        return ((cache if cache is not None else index_dir()) / f"{_sidecar_key(file)}.idx").is_file()

    # -- the sidecar ---------------------------------------------------------------------------
    def _sidecar(self) -> Path:
        return self.cache / f"{_sidecar_key(self.path)}.idx"

    def _fingerprint(self, upto: int) -> str:
        """A hash of the file's first and last indexed 4 KiB: a file rewritten in place does not match."""
        with self.path.open("rb") as f:
            head = f.read(min(upto, 4096))
            f.seek(max(upto - 4096, 0))
            tail = f.read(min(upto, 4096))
        return hashlib.sha256(head + b"\0" + tail).hexdigest()

    def save(self) -> None:
        """Write the sidecar (best effort: an unwritable cache only costs the next open a rebuild)."""
        if self.header is None or self.loaded_from_sidecar and not self._grew:
            return
        try:
            st = self.path.stat()
        except OSError:
            return
        meta = {"version": INDEX_VERSION, "path": str(self.path.resolve()), "end": self.end, "lines": self.lines,
                "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                "count": len(self), "fingerprint": self._fingerprint(self.end), "header": self.header,
                "problems": self.problems[:100]}
        blob = json.dumps(meta).encode() + b"\n" + b"".join(
            arr.tobytes() for arr in (self.offsets, self.lengths, self.steps, self.kinds, self.marks))
        target = self._sidecar()
        try:
            self.cache.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
            tmp.write_bytes(blob)
            os.replace(tmp, target)
        except OSError:
            pass

    @property
    def _grew(self) -> bool:
        return self.end != self._loaded_end

    def _load(self) -> bool:
        self._loaded_end = -1
        try:
            blob = self._sidecar().read_bytes()
            head, _, body = blob.partition(b"\n")
            meta = json.loads(head)
            end = int(meta["end"])
            st = self.path.stat()
            if meta.get("version") != INDEX_VERSION or end > st.st_size:
                return False
            if st.st_size == meta.get("size") and st.st_mtime_ns != meta.get("mtime_ns"):
                return False  # same size, written since: changed in place
            if meta.get("fingerprint") != self._fingerprint(end):
                return False
            count = int(meta["count"])
            arrays = (self.offsets, self.lengths, self.steps, self.kinds, self.marks)
            at = 0
            for arr in arrays:
                n = count * arr.itemsize
                arr.frombytes(body[at : at + n])
                at += n
            if at != len(body) or any(len(arr) != count for arr in arrays):
                raise ValueError("sidecar size does not match its count")
        except (OSError, ValueError, KeyError, TypeError):
            return False
        self.header = meta["header"]
        self.problems = list(meta.get("problems") or [])
        self.end = end
        self.lines = int(meta.get("lines", 0))
        self.loaded_from_sidecar = True
        self._loaded_end = end
        return True


def _runs(indices: Iterable[int]) -> Iterator[list[int]]:
    """Consecutive runs of ascending indices."""
    run: list[int] = []
    for i in indices:
        if run and i != run[-1] + 1:
            yield run
            run = []
        run.append(i)
    if run:
        yield run
