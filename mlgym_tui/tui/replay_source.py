"""A recorded run as the replay and compare screens move through it: its index, where each step ends,
and what to read to show the state after any step.

The panels are bounded views — the shell keeps its last lines, the reasoning its last cards, the editor
one window — so the state after a step is decided by a small part of the file: the last steps whole (at
most :data:`WINDOW_BYTES` of them, always the current one), and from before them only what adds up over a
run (the start, every evaluation and model call, limits, the end; clock pauses for the status bar) and
what the editor still shows (its last window and edit). :meth:`RecordedRun.catch_up` names those events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.core.formats.replayable import replayable, replayable_now
from mlgym_tui.core.trajectory import RESULT_FILE
from mlgym_tui.core.trajectory_index import EVALUATED, FAILED, KIND_CODE, TrajectoryIndex

WINDOW_BYTES = 2 * 1024 * 1024
"""At most this much of the last steps' events is read whole on a catch-up (the current step always is,
whatever its size: the shell cuts a long output in place)."""
ALWAYS = {KIND_CODE[k] for k in (EventKind.EPISODE_STARTED, EventKind.VALIDATION, EventKind.SUBMISSION,
                                 EventKind.MODEL_USAGE, EventKind.LIMIT, EventKind.EPISODE_ENDED)}
"""Kinds read from the whole run on a catch-up: what adds up over it (metrics, cost, the end)."""
_INTERVENTION = KIND_CODE[EventKind.INTERVENTION]
_OPENED = KIND_CODE[EventKind.FILE_OPENED]
_CHANGED = KIND_CODE[EventKind.FILE_CHANGED]
_OBSERVATION = KIND_CODE[EventKind.OBSERVATION]
_EVALUATIONS = {KIND_CODE[EventKind.VALIDATION], KIND_CODE[EventKind.SUBMISSION]}


@dataclass
class CatchUp:
    """What to apply, in order: ``editor`` to the editor panel only, ``status`` to the status bar only,
    ``events`` to every panel and the status bar."""

    editor: list[Event] = field(default_factory=list)
    status: list[Event] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


def opens_at_once(path: Path) -> bool:
    """Whether a :class:`RecordedRun` of ``path`` is made in a few milliseconds (nothing to import, an
    index sidecar or a small file), so a screen can open it before its first paint instead of painting
    an empty workbench and then the run."""
    ready = replayable_now(Path(path))
    return ready is not None and TrajectoryIndex.opens_quickly(ready)


class RecordedRun:
    """An indexed trajectory (a run folder, trajectory file, ``.traj`` or raw MLGym folder)."""

    def __init__(self, path: Path) -> None:
        self.path = replayable(Path(path))  # a .traj or raw MLGym folder: imported into the cache once
        self.index = TrajectoryIndex(self.path)
        self.ends: list[int] = []
        """``ends[s]``: index after the last event of step ``s`` (events of steps ≤ s)."""
        self.validations: set[int] = set()
        self.errors: set[int] = set()
        self.extend(0)

    @property
    def folder(self) -> Path:
        return self.path if self.path.is_dir() else self.path.parent

    @property
    def finished(self) -> bool:
        """The run wrote its result (nothing more will be appended)."""
        return (self.folder / RESULT_FILE).is_file()

    @property
    def last_step(self) -> int:
        return max(len(self.ends) - 1, 0)

    @property
    def header(self) -> dict[str, object]:
        return self.index.header or {}

    def extend(self, start: int) -> None:
        """Steps and marks of the events indexed from ``start`` on. (Runs over every event of the file
        when a replay opens: kept to one comparison per event.)"""
        index, ends = self.index, self.ends
        steps, marks = index.steps, index.marks
        last = len(ends) - 1
        for i in range(start, len(index)):
            step = steps[i]
            if step > last:  # steps without events end where the previous one did
                ends.extend([ends[-1] if ends else 0] * (step - last))
                last = step
            ends[last] = i + 1  # an event of an earlier step than the last seen counts in the last one
        for i in range(start, len(index)):
            mark = marks[i]
            if not mark:
                continue
            if mark & EVALUATED:
                self.validations.add(steps[i])
            if mark & FAILED:
                self.errors.add(steps[i])  # an invalid validation is an error too: `x` stops there

    def refresh(self) -> bool:
        """Index what was appended; True when there is more."""
        before = len(self.index)
        if self.index.refresh():
            self.extend(before)
            return True
        return False

    def end_of(self, step: int) -> int:
        return self.ends[max(0, min(step, self.last_step))] if self.ends else 0

    def evaluations(self) -> list[Event]:
        """Every validation and submission of the run (a few lines, read from the file)."""
        kinds = self.index.kinds
        return self.index.read(i for i in range(len(self.index)) if kinds[i] in _EVALUATIONS)

    def catch_up(self, step: int, keep_steps: int) -> CatchUp:
        """The events that decide what the panels show after ``step`` (see the module docstring)."""
        index = self.index
        target = self.end_of(step)
        first_step = max(step - keep_steps + 1, 1)
        while first_step < step and index.bytes_between(self.ends[first_step - 1], target) > WINDOW_BYTES:
            first_step += 1
        first = self.ends[first_step - 1] if step > 0 else target
        kinds, steps = index.kinds, index.steps
        wanted: list[int] = []
        status: list[int] = []
        last_opened = last_changed = -1
        for i in range(first):
            code = kinds[i]
            if code in ALWAYS or steps[i] == 0:
                wanted.append(i)
            elif code == _INTERVENTION:
                status.append(i)
            elif code == _OPENED:
                last_opened = i
            elif code == _CHANGED:
                last_changed = i
        editor = [i for i in (last_opened, last_changed) if i >= 0]
        if last_opened >= 0:  # the window's text is in its step's observation
            observation = next((i for i in range(last_opened, first) if kinds[i] == _OBSERVATION), None)
            if observation is not None:
                editor.append(observation)
        return CatchUp(editor=index.read(sorted(set(editor))), status=index.read(status),
                       events=index.read([*wanted, *range(first, target)]))
