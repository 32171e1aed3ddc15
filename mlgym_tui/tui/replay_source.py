"""Reading a trajectory for replay — all of it now, and whatever is appended later (follow mode).

A run folder that is still being written ends in a line that may be half-written; the tail keeps that
partial line until its newline arrives, so a run can be watched from another terminal while the
recorder appends to it. Lines that are not events are counted as problems and skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlgym_tui.core.events import Event
from mlgym_tui.core.trajectory import RESULT_FILE, TRAJECTORY_FILE, TrajectoryError

READ_CHUNK = 4 * 1024 * 1024


def trajectory_path(path: Path) -> Path:
    """The ``trajectory.jsonl`` of a run folder, or the file itself."""
    file = path / TRAJECTORY_FILE if path.is_dir() else path
    if not file.is_file():
        raise TrajectoryError(f"{path}: no trajectory.jsonl here")
    return file


class TrajectoryTail:
    """Incremental reader; call :meth:`poll` as often as you like."""

    def __init__(self, path: Path) -> None:
        self.path = trajectory_path(path)
        self.header: dict[str, Any] | None = None
        self.problems: list[str] = []
        self._offset = 0
        self._partial = b""
        self._line = 0

    @property
    def finished(self) -> bool:
        """The run wrote its result (nothing more will be appended)."""
        return (self.path.parent / RESULT_FILE).is_file()

    def poll(self) -> list[Event]:
        """Events appended since the last call (all of them on the first call)."""
        events: list[Event] = []
        with self.path.open("rb") as f:
            f.seek(self._offset)
            while True:
                chunk = f.read(READ_CHUNK)
                if not chunk:
                    break
                self._offset += len(chunk)
                data = self._partial + chunk
                lines = data.split(b"\n")
                self._partial = lines.pop()
                for raw in lines:
                    self._take(raw, events)
        return events

    def _take(self, raw: bytes, events: list[Event]) -> None:
        self._line += 1
        if not raw.strip():
            return
        try:
            record = json.loads(raw)
        except ValueError:
            self.problems.append(f"{self.path}:{self._line}: not valid JSON, skipped")
            return
        if not isinstance(record, dict):
            self.problems.append(f"{self.path}:{self._line}: not an object, skipped")
            return
        if self.header is None:
            if record.get("kind") != "header":
                raise TrajectoryError(f"{self.path}: line 1 is not a trajectory header")
            self.header = record
            return
        try:
            events.append(Event.from_dict(record))
        except (KeyError, ValueError, TypeError) as exc:
            self.problems.append(f"{self.path}:{self._line}: not an event ({exc}), skipped")
