"""``mlgym-tui import``: ``.traj`` files (and results-only MLGym folders) become ordinary run folders.

Importing the same file twice is harmless: a run folder records the SHA-256 of its source, and a file
whose hash is already under the output folder is reported as already imported instead of counted twice;
the same file reached twice in one import (a symlinked folder) is skipped with the reason.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mlgym_tui.core.formats.mlgym import ImportedRun, TrajImportError, read_traj
from mlgym_tui.core.formats.mlgym_results import RESULTS_FILE, is_results_only, read_results_only
from mlgym_tui.core.trajectory import (
    RESULT_FILE,
    SCHEMA,
    SCHEMA_VERSION,
    TRAJECTORY_FILE,
    run_folder,
    write_result,
)


@dataclass
class ImportReport:
    """What one ``import`` did: folders written, sources already imported or skipped, failures, warnings."""

    written: list[Path] = field(default_factory=list)
    already: list[tuple[Path, Path]] = field(default_factory=list)
    """(source file, existing run folder)."""
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    """(source, why): e.g. the same file reached twice through a symlinked folder."""
    failed: list[TrajImportError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, other: ImportReport) -> None:
        self.written += other.written
        self.already += other.already
        self.skipped += other.skipped
        self.failed += other.failed
        self.warnings += other.warnings

    def summary(self) -> str:
        """One line: imported / already imported / skipped (with reasons) / failed."""
        reasons = Counter(reason for _, reason in self.skipped)
        why = "; ".join(f"{n} {reason}" for reason, n in reasons.most_common())
        skipped = f"{len(self.skipped)} skipped" + (f" ({why})" if why else "")
        return (f"{len(self.written)} imported, {len(self.already)} already imported, {skipped}, "
                f"{len(self.failed)} failed")


def _walk(path: Path) -> Iterator[tuple[Path, list[str]]]:
    """Folders under ``path`` with their file names, following symlinked folders (each real folder once)."""
    seen: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(path, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "workspace")
        yield Path(dirpath), sorted(filenames)


def find_sources(path: Path) -> list[Path]:
    """What there is to import at ``path``: ``.traj`` files, and ``results.json`` of folders without one.

    ``path`` is a file or a folder searched recursively (symlinked folders followed). A ``results.json``
    counts only where no ``.traj`` and none of our run files are beside it (a results-only MLGym run).
    """
    if path.is_file():
        return [path]
    found = []
    for folder, names in _walk(path):
        trajs = [folder / n for n in names if n.endswith(".traj")]
        if trajs:
            found += trajs
        elif is_results_only(folder, set(names)):
            found.append(folder / RESULTS_FILE)
    return found


def find_traj_files(path: Path) -> list[Path]:
    """The ``.traj`` files at ``path`` (a file, or a folder searched recursively), sorted."""
    return [p for p in find_sources(path) if p.suffix == ".traj" or path.is_file()]


def read_source(path: Path) -> ImportedRun:
    """A ``.traj`` (with its ``results.json``) or a results-only folder's ``results.json``, read."""
    if path.name == RESULTS_FILE and path.suffix != ".traj":
        return read_results_only(path.parent)
    return read_traj(path)


class ImportedSources:
    """sha256 → run folder of the runs already imported under ``out``, read once per task folder."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.by_task: dict[str, dict[str, Path]] = {}

    def get(self, task: str, sha: str) -> Path | None:
        if task not in self.by_task:
            self.by_task[task] = _existing_sources(self.out, task)
        return self.by_task[task].get(sha)

    def add(self, task: str, sha: str, folder: Path) -> None:
        self.by_task.setdefault(task, {})[sha] = folder


def _existing_sources(out: Path, task: str) -> dict[str, Path]:
    """sha256 → run folder for runs already imported under ``out/<task>/``."""
    known: dict[str, Path] = {}
    base = out / task
    if not base.is_dir():
        return known
    for traj in base.glob(f"*/*/{TRAJECTORY_FILE}"):
        try:
            with traj.open("rb") as f:
                header = json.loads(f.readline(1 << 20))
        except (OSError, ValueError):
            continue
        sha = (header.get("imported") or {}).get("sha256") if isinstance(header, dict) else None
        if isinstance(sha, str):
            known[sha] = traj.parent
    return known


def write_imported(run: ImportedRun, out: Path) -> Path:
    """Write ``run`` as ``<out>/<task>/<agent>[-<model>]/<time>-s<attempt>/`` and return the folder."""
    folder = run_folder(out, run.result.task, run.result.agent, run.result.model, run.result.seed)
    header = {k: v for k, v in run.header.items() if k not in ("kind", "schema", "version")}
    header["folder"] = str(folder)
    # The whole file at once: an import is not a live run, so nothing is gained by flushing per event
    # (``result.json``, written last and atomically, marks the folder complete).
    lines = [{"kind": "header", "schema": SCHEMA, "version": SCHEMA_VERSION, **header}]
    lines += [event.to_dict() for event in run.events]
    with (folder / TRAJECTORY_FILE).open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(line, ensure_ascii=False, default=str) + "\n" for line in lines)
    write_result(folder, run.result)
    _date_as_source(folder, run)
    return folder


def _date_as_source(folder: Path, run: ImportedRun) -> None:
    """Give the imported files the run's own start time, so lists sorted by time place it where it ran."""
    started = next((e.time for e in run.events), None)
    if not started:  # None, or a results-only run's 0: no time to give
        return
    for name in (TRAJECTORY_FILE, RESULT_FILE):
        try:
            os.utime(folder / name, (started, started))
        except OSError:
            pass


def import_path(path: Path, out: Path, existing: ImportedSources | None = None,
                seen: dict[str, Path] | None = None) -> ImportReport:
    """Import everything at ``path`` into run folders under ``out``; never raises for a bad file.

    ``existing`` and ``seen`` carry what earlier paths of the same ``import`` found, so a source given
    twice (or reached through a symlink) is imported once.
    """
    report = ImportReport()
    from mlgym_tui.core.task_sources import task_info

    task_info.cache_clear()  # task.yaml is read once per task id per import, not once per run
    existing = existing if existing is not None else ImportedSources(out)
    seen = seen if seen is not None else {}
    files = find_sources(Path(path))
    if not files:
        report.failed.append(TrajImportError(Path(path), "no .traj file or MLGym results.json here"))
    for source in files:
        try:
            run = read_source(source)
        except TrajImportError as exc:
            report.failed.append(exc)
            continue
        if run.sha256 in seen:
            report.skipped.append((source, "same file as another source of this import"))
            continue
        seen[run.sha256] = source
        report.warnings += [f"{source}: {w}" for w in run.warnings]
        already = existing.get(run.result.task, run.sha256)
        if already is not None:
            report.already.append((source, already))
            continue
        try:
            folder = write_imported(run, out)
        except OSError as exc:
            report.failed.append(TrajImportError(source, f"cannot write the run folder: {exc.strerror or exc}"))
            continue
        existing.add(run.result.task, run.sha256, folder)
        report.written.append(folder)
    return report
