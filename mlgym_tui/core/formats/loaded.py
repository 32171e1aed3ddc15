"""A run read for exporting: header, events, result, and the events grouped into agent steps.

Every exporter works from a :class:`LoadedRun`, whatever the input was: one of our run folders (or its
``trajectory.jsonl`` / ``result.json``), or an MLGym / SWE-agent ``.traj`` read in memory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlgym_tui.core.errors import UserError
from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.core.trajectory import (
    RESULT_FILE,
    TRAJECTORY_FILE,
    EpisodeResult,
    TrajectoryError,
    read_trajectory,
)


class FormatError(UserError):
    """An input file that cannot be read as a run; the message names the file and the reason."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass
class Step:
    """One agent step: what it thought, what it ran, what came back, and any evaluation."""

    index: int
    thought: str = ""
    response: str = ""
    """The model's raw answer when it differs from the thought (imported trajectories keep it)."""
    action: str = ""
    observation: str = ""
    tool: str | None = None
    exit_code: int | None = None
    duration: float | None = None
    started: float | None = None
    """Time of the action (epoch seconds)."""
    ended: float | None = None
    """Time of the observation (epoch seconds)."""
    outputs: list[tuple[float, str]] = field(default_factory=list)
    """Live shell output chunks with their times."""
    evaluations: list[Event] = field(default_factory=list)
    """Validation and submission events of this step."""
    open_file: str | None = None


@dataclass
class LoadedRun:
    """A run as exporters see it."""

    path: Path
    header: dict[str, Any]
    events: list[Event]
    result: EpisodeResult | None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def task(self) -> str:
        return str(self.header.get("task") or (self.result.task if self.result else "?"))

    @property
    def task_text(self) -> str:
        """The first observation: the task as the agent was told it."""
        for e in self.events:
            if e.kind is EventKind.OBSERVATION and e.step == 0:
                return str(e.data.get("text", ""))
        return ""

    @property
    def ended_event(self) -> Event | None:
        return next((e for e in reversed(self.events) if e.kind is EventKind.EPISODE_ENDED), None)

    @property
    def started_at(self) -> float | None:
        return self.events[0].time if self.events else None

    def steps(self) -> list[Step]:
        return group_steps(self.events)

    def with_events(self, events: list[Event], header: dict[str, Any], result: EpisodeResult | None) -> LoadedRun:
        return replace(self, events=events, header=header, result=result)


def group_steps(events: list[Event]) -> list[Step]:
    """Group events by step number (step 0, the task text, is not a step)."""
    steps: dict[int, Step] = {}
    open_file: str | None = None

    def get(n: int) -> Step:
        if n not in steps:
            steps[n] = Step(index=n, open_file=open_file)
        return steps[n]

    for e in events:
        if e.step <= 0 and e.kind is not EventKind.SUBMISSION:
            continue
        d = e.data
        if e.kind is EventKind.THOUGHT:
            s = get(e.step)
            s.thought = str(d.get("text", ""))
            s.response = str(d.get("response", "") or "")
        elif e.kind is EventKind.ACTION:
            s = get(e.step)
            s.action = str(d.get("action", ""))
            s.started = e.time
        elif e.kind is EventKind.OUTPUT:
            get(e.step).outputs.append((e.time, str(d.get("text", ""))))
        elif e.kind is EventKind.OBSERVATION:
            s = get(e.step)
            s.observation = str(d.get("text", ""))
            s.tool = d.get("tool")
            code = d.get("exit_code")
            s.exit_code = code if isinstance(code, int) else None
            dur = d.get("duration")
            s.duration = float(dur) if isinstance(dur, int | float) else None
            s.ended = e.time
        elif e.kind in (EventKind.VALIDATION, EventKind.SUBMISSION):
            get(max(e.step, 1)).evaluations.append(e)
        elif e.kind is EventKind.FILE_OPENED:
            open_file = str(d.get("path") or "") or open_file
            if e.step in steps:
                steps[e.step].open_file = open_file
    return [steps[n] for n in sorted(steps)]


def _read_result_file(path: Path, problems: list[str]) -> EpisodeResult | None:
    if not path.is_file():
        return None
    try:
        return EpisodeResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        problems.append(f"{path}: unusable result ({type(exc).__name__}: {str(exc)[:120]}); exported without it")
        return None


def load_run(path: Path) -> LoadedRun:
    """Read any supported run input; raises :class:`FormatError` naming the file and the reason."""
    path = Path(path)
    if not path.exists():
        raise FormatError(path, "no such file or folder")
    if path.suffix == ".traj" or (path.is_dir() and not (path / TRAJECTORY_FILE).exists() and any(path.glob("*.traj"))):
        from mlgym_tui.core.formats.mlgym import TrajImportError, read_traj

        traj = path if path.is_file() else sorted(path.glob("*.traj"))[0]
        try:
            imported = read_traj(traj)
        except TrajImportError as exc:
            raise FormatError(traj, exc.reason) from exc
        return LoadedRun(traj, imported.header, imported.events, imported.result, warnings=imported.warnings)
    folder = path if path.is_dir() else path.parent
    try:
        trajectory = read_trajectory(folder / TRAJECTORY_FILE)
    except TrajectoryError as exc:
        raise FormatError(folder / TRAJECTORY_FILE, str(exc).split(": ", 1)[-1]) from exc
    except OSError as exc:
        raise FormatError(folder / TRAJECTORY_FILE, exc.strerror or str(exc)) from exc
    problems = list(trajectory.problems)
    result = _read_result_file(folder / RESULT_FILE, problems)
    return LoadedRun(folder, trajectory.header, trajectory.events, result, problems=problems)
