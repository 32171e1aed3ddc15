"""Finding and reading run folders for scoring: ours, imported ones, and raw MLGym result folders.

Scoring must keep working while runs are being written and when some folders are broken, so nothing here
raises for a bad folder: it lands in :attr:`RunSet.problems` (file and reason) or, for a run that simply
has not finished, in :attr:`RunSet.in_progress`, and the rest is scored.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgym_tui.core.scoring.notes import Note
from mlgym_tui.core.trajectory import RESULT_FILE, TRAJECTORY_FILE, EpisodeResult

MAX_RESULT_BYTES = 32 * 1024 * 1024
"""A ``result.json`` larger than this is not a result (it is skipped, not loaded)."""

SKIP_DIRS = {"workspace", ".git", "__pycache__", "node_modules", ".venv"}
"""Folders never searched for runs (an agent's workspace may hold anything)."""


@dataclass(frozen=True)
class Problem:
    """A file that could not be used, and why (shown to the user as ``path: reason``)."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class RunRecord:
    """What scoring needs from one finished run (one attempt of one agent on one task)."""

    folder: Path
    task: str
    agent: str
    model: str | None
    metric: str
    direction: str
    exit_status: str
    validation_scores: tuple[float, ...] = ()
    """Primary-metric scores of the valid validations, in order."""
    submission_score: float | None = None
    """Primary-metric score of the final submission; None when there is no valid one."""
    submission_error: str | None = None
    baseline: float | None = None
    """The baseline's primary score this run was graded against."""
    cost: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    steps: int = 0
    seed: int = 0
    started: str = ""
    """Start time as recorded by the run (empty for imported runs, whose times are rebuilt, not recorded)."""
    stand_in: bool = False
    source: str = "mlgym-tui"
    attempt: int | None = None
    """The recorded attempt index: MLGym's ``run_N``, our batch cell's attempt; None: use the seed."""
    source_id: str | None = None
    """Imported runs: ``sha256:…`` of the source file; the same source reached twice is one run."""
    source_exit_status: str | None = None
    """Imported runs: the exit status as the source wrote it (grouped by it, see :mod:`.exit_groups`)."""
    last_action: str | None = None

    @property
    def attempt_order(self) -> tuple[int, str, str]:
        """How a competitor's runs are ordered for ``--attempts K``: attempt index, start time, folder."""
        return (self.seed if self.attempt is None else self.attempt, self.started, str(self.folder))

    @property
    def final_score(self) -> float | None:
        """The score Best Submission@k takes from this run.

        Our runs: the valid final submission. MLGym's: the last score of its ``results.json`` list, which
        is what MLGym's own tables take as the last attempt (its list has no separate submission field,
        so a run whose final evaluation failed contributes its last validation).
        """
        if self.submission_score is not None or self.source != "mlgym":
            return self.submission_score
        return self.validation_scores[-1] if self.validation_scores else None

    @property
    def competitor(self) -> str:
        """The label runs are grouped by: the agent, and its model when it has one."""
        return competitor_label(self.agent, self.model)

    @property
    def submission_valid(self) -> bool:
        return self.submission_score is not None

    @property
    def all_scores(self) -> tuple[float, ...]:
        """Every valid score of the run: validations, then the submission."""
        extra = () if self.submission_score is None else (self.submission_score,)
        return self.validation_scores + extra

    @classmethod
    def from_result(cls, folder: Path, result: EpisodeResult, attempt: int | None = None) -> RunRecord:
        metric = result.primary_metric

        def primary(ev: Any) -> float | None:
            if ev is None or not ev.valid:
                return None
            value = ev.score if ev.score is not None else ev.metrics.get(metric)
            return _number(value)

        validations = tuple(s for s in (primary(v) for v in result.validations) if s is not None)
        sub = result.submission
        return cls(
            folder=folder,
            task=result.task,
            agent=result.agent,
            model=result.model,
            metric=metric,
            direction=result.direction,
            exit_status=result.exit_status,
            validation_scores=validations,
            submission_score=primary(sub),
            submission_error=(sub.error if sub is not None else "no submission"),
            baseline=_number(result.baseline.get(metric)),
            cost=result.cost,
            tokens_in=result.tokens_in,
            tokens_out=result.tokens_out,
            steps=result.steps,
            seed=result.seed,
            started=result.started if result.source == "mlgym-tui" else "",
            stand_in=result.stand_in,
            source=result.source,
            attempt=attempt if attempt is not None else (result.seed if result.source != "mlgym-tui" else None),
            source_id=result.source_id,
            source_exit_status=result.source_exit_status,
            last_action=result.source_last_action,
        )


def competitor_label(agent: str, model: str | None) -> str:
    return agent if not model else f"{agent}/{model}"


@dataclass
class RunSet:
    """Runs found under some paths, with what was skipped and why."""

    runs: list[RunRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    in_progress: list[Path] = field(default_factory=list)
    """Run folders with a trajectory but no ``result.json`` yet (running, or stopped before the end)."""
    warnings: list[Note] = field(default_factory=list)
    """Things worth knowing that did not stop a run from being scored (e.g. an unknown imported task)."""
    duplicates: list[tuple[Path, Path]] = field(default_factory=list)
    """(left out, the run it repeats): the same source run reached twice, counted once."""
    unscored: int = 0
    """Runs read but not scorable (SWE-agent trajectories carry no scores)."""
    filtered_out: int = 0
    """Runs left out by ``--tasks``/``--competitors`` filters (see :mod:`.selection`)."""

    @property
    def tasks(self) -> list[str]:
        return sorted({r.task for r in self.runs})

    @property
    def competitors(self) -> list[str]:
        return sorted({r.competitor for r in self.runs})


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


_EXPECTED: dict[str, tuple[type | tuple[type, ...], bool]] = {
    # field: (types, required)
    "task": (str, True),
    "agent_name": (str, True),
    "exit_status": (str, True),
    "primary_metric": (str, True),
    "direction": (str, True),
    "model": ((str, type(None)), False),
    "validations": (list, False),
    "submission": ((dict, type(None)), False),
    "baseline": ((dict, type(None)), False),
    "cost": ((int, float), False),
    "tokens_in": (int, False),
    "tokens_out": (int, False),
    "steps": (int, False),
    "seed": (int, False),
    "stand_in": (bool, False),
}


def check_result(raw: Any) -> str | None:
    """Why a parsed ``result.json`` cannot be used (naming the field), or None when it can."""
    if not isinstance(raw, dict):
        return f"expected a JSON object, got {type(raw).__name__}"
    for name, (types, required) in _EXPECTED.items():
        if name not in raw:
            if required:
                return f"field '{name}': required field is missing"
            continue
        value = raw[name]
        allowed = types if isinstance(types, tuple) else (types,)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in allowed):
            return f"field '{name}': expected {_type_names(types)}, got {type(value).__name__}"
    if raw["direction"] not in ("max", "min"):
        return f"field 'direction': expected 'max' or 'min', got {raw['direction']!r}"
    for i, ev in enumerate(raw.get("validations") or []):
        if not isinstance(ev, dict):
            return f"field 'validations.{i}': expected an object, got {type(ev).__name__}"
        if not isinstance(ev.get("metrics", {}) or {}, dict):
            return f"field 'validations.{i}.metrics': expected an object"
    sub = raw.get("submission")
    if isinstance(sub, dict) and not isinstance(sub.get("metrics", {}) or {}, dict):
        return "field 'submission.metrics': expected an object"
    return None


def _type_names(types: type | tuple[type, ...]) -> str:
    items = types if isinstance(types, tuple) else (types,)
    names = {"str": "a string", "list": "a list", "dict": "an object", "int": "an integer",
             "float": "a number", "bool": "true or false", "NoneType": "null"}
    return " or ".join(names.get(t.__name__, t.__name__) for t in items)


def read_run_record(folder: Path) -> RunRecord:
    """One of our run folders (or an imported one) as a record; raises ValueError with the reason."""
    path = folder / RESULT_FILE
    size = path.stat().st_size
    if size > MAX_RESULT_BYTES:
        raise ValueError(f"{size / 2**20:.0f} MiB is too large for a result file; skipped")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc.reason})") from exc
    except json.JSONDecodeError as exc:
        from mlgym_tui.core.formats.mlgym import describe_json_error

        raise ValueError(describe_json_error(exc, size)) from exc
    reason = check_result(raw)
    if reason:
        raise ValueError(reason)
    try:
        result = EpisodeResult.from_dict(raw)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise ValueError(f"unusable result ({type(exc).__name__}: {exc})") from exc
    attempt = None
    if result.source == "mlgym-tui" or result.source_id is None:
        header = _header(folder)
        attempt = _dig(header, "config", "batch", "attempt")
        sha = _dig(header, "imported", "sha256")
        if result.source_id is None and isinstance(sha, str):  # imported before result.json recorded it
            result.source_id = f"sha256:{sha}"
    attempt = attempt if isinstance(attempt, int) and not isinstance(attempt, bool) else None
    return RunRecord.from_result(folder, result, attempt if result.source == "mlgym-tui" else None)


def _header(folder: Path) -> dict[str, Any]:
    """The trajectory header (first line) of a run folder; empty when unreadable."""
    try:
        with (folder / TRAJECTORY_FILE).open("rb") as f:
            header = json.loads(f.readline(1 << 20))
    except (OSError, ValueError):
        return {}
    return header if isinstance(header, dict) else {}


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _walk(root: Path, repeated: list[tuple[Path, Path]] | None = None) -> Iterator[tuple[Path, set[str]]]:
    """Folders under ``root`` (itself included) with their file names; run folders are not descended.

    Symlinked folders are followed. A run folder is yielded every time it is reached (the caller counts
    it once and names the repeats); a folder of runs reached a second time is not descended again (a link
    loop ends) and is added to ``repeated`` as (path, first path).
    """
    first: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        names = set(filenames)
        is_run = TRAJECTORY_FILE in names or RESULT_FILE in names or "results.json" in names or any(
            n.endswith(".traj") for n in names)
        if is_run:
            dirnames[:] = []
            yield Path(dirpath), names
            continue
        real = os.path.realpath(dirpath)
        if real in first:
            dirnames[:] = []
            if repeated is not None:
                repeated.append((Path(dirpath), first[real]))
            continue
        first[real] = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        yield Path(dirpath), names


class _Collector:
    """Adds runs to a :class:`RunSet`, counting a source run reached twice once (with a warning)."""

    def __init__(self) -> None:
        self.found = RunSet()
        self.by_folder: dict[str, Path] = {}
        self.by_source: dict[str, Path] = {}

    def seen_folder(self, folder: Path) -> bool:
        """Whether this real folder was already read (a symlink to it, or the same path given twice)."""
        real = os.path.realpath(folder)
        first = self.by_folder.get(real)
        if first is None:
            self.by_folder[real] = folder
            return False
        if first != folder:
            self.found.duplicates.append((folder, first))
        return True

    def add(self, record: RunRecord) -> None:
        if record.source_id is not None:
            first = self.by_source.get(record.source_id)
            if first is not None:
                self.found.duplicates.append((record.folder, first))
                return
            self.by_source[record.source_id] = record.folder
        self.found.runs.append(record)


def load_runs(paths: Iterable[Path | str]) -> RunSet:
    """Every run under ``paths`` (folders are searched recursively; files name their run folder).

    Understood: our run folders (``result.json`` + ``trajectory.jsonl``), folders written by
    ``mlgym-tui import``, raw MLGym result folders (``*.traj`` + ``results.json``, read in memory through
    the MLGym importer) and results-only MLGym folders. A folder with a trajectory and no result is *in
    progress*; a folder whose files cannot be used is a *problem*. Neither stops the others from loading.
    The same source run reached twice (a raw folder and its import, a symlinked folder) counts once and
    is listed in :attr:`RunSet.duplicates`.
    """
    from mlgym_tui.core.formats.importing import read_source
    from mlgym_tui.core.formats.mlgym import TrajImportError
    from mlgym_tui.core.formats.mlgym_results import RESULTS_FILE, is_results_only
    from mlgym_tui.core.task_sources import task_info

    task_info.cache_clear()
    c = _Collector()
    found = c.found
    for given in paths:
        root = Path(given)
        if not root.exists():
            found.problems.append(Problem(root, "no such file or folder"))
            continue
        if root.is_file():
            if root.suffix == ".traj":
                candidates: Iterable[tuple[Path, set[str]]] = [(root.parent, {root.name})]
            elif root.name not in (RESULT_FILE, TRAJECTORY_FILE, RESULTS_FILE):
                found.problems.append(Problem(root, "not a run folder, a .traj, result.json or trajectory.jsonl"))
                continue
            else:
                candidates = [(root.parent, set(os.listdir(root.parent)))]
        else:
            candidates = _walk(root, found.duplicates)
        for folder, names in candidates:
            if RESULT_FILE in names or TRAJECTORY_FILE in names:
                if c.seen_folder(folder):
                    continue
                if RESULT_FILE not in names:
                    found.in_progress.append(folder)
                    continue
                try:
                    record = read_run_record(folder)
                except (ValueError, OSError) as exc:
                    found.problems.append(Problem(folder / RESULT_FILE, str(exc)))
                    continue
                if record.source == "swe-agent":
                    found.warnings.append(Note("imported SWE-agent run has no scores; not scored", str(folder)))
                    found.unscored += 1
                    continue
                c.add(record)
                continue
            sources = sorted(folder / n for n in names if n.endswith(".traj"))
            if not sources and is_results_only(folder, names):
                sources = [folder / RESULTS_FILE]
            for source in sources:
                if c.seen_folder(source):
                    continue
                try:
                    imported = read_source(source)
                except TrajImportError as exc:
                    found.problems.append(Problem(source, exc.reason))
                    continue
                found.warnings.extend(Note(w, str(source)) for w in imported.warnings)
                if imported.result.source == "swe-agent":
                    found.warnings.append(Note("SWE-agent trajectory has no scores; not scored", str(source)))
                    found.unscored += 1
                    continue
                c.add(RunRecord.from_result(source.parent, imported.result))
    return found
