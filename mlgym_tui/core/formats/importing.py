"""``mlgym-tui import``: ``.traj`` files become ordinary run folders (replay, score and export read them).

Importing the same file twice is harmless: a run folder records the SHA-256 of its source, and a file
whose hash is already under the output folder is reported as already imported instead of counted twice.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from mlgym_tui.core.events import Event
from mlgym_tui.core.formats.mlgym import ImportedRun, TrajImportError, read_traj
from mlgym_tui.core.trajectory import (
    RESULT_FILE,
    TRAJECTORY_FILE,
    TrajectoryRecorder,
    run_folder,
    write_result,
)


@dataclass
class ImportReport:
    """What one ``import`` did: folders written, files already imported, files that failed, warnings."""

    written: list[Path] = field(default_factory=list)
    already: list[tuple[Path, Path]] = field(default_factory=list)
    """(source file, existing run folder)."""
    failed: list[TrajImportError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def find_traj_files(path: Path) -> list[Path]:
    """The ``.traj`` files at ``path`` (a file, or a folder searched recursively), sorted."""
    if path.is_file():
        return [path]
    found = []
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "workspace")
        found += [Path(dirpath) / n for n in sorted(filenames) if n.endswith(".traj")]
    return found


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
    recorder = TrajectoryRecorder(folder / TRAJECTORY_FILE, header)
    try:
        for event in run.events:
            recorder(Event(event.kind, event.step, event.data, event.time))
    finally:
        recorder.close()
    write_result(folder, run.result)
    _date_as_source(folder, run)
    return folder


def _date_as_source(folder: Path, run: ImportedRun) -> None:
    """Give the imported files the run's own start time, so lists sorted by time place it where it ran."""
    started = next((e.time for e in run.events), None)
    if started is None:
        return
    for name in (TRAJECTORY_FILE, RESULT_FILE):
        try:
            os.utime(folder / name, (started, started))
        except OSError:
            pass


def import_path(path: Path, out: Path) -> ImportReport:
    """Import every ``.traj`` at ``path`` into run folders under ``out``; never raises for a bad file."""
    report = ImportReport()
    files = find_traj_files(Path(path))
    if not files:
        report.failed.append(TrajImportError(Path(path), "no .traj file here"))
    for traj in files:
        try:
            run = read_traj(traj)
        except TrajImportError as exc:
            report.failed.append(exc)
            continue
        report.warnings += [f"{traj}: {w}" for w in run.warnings]
        existing = _existing_sources(out, run.result.task).get(run.sha256)
        if existing is not None:
            report.already.append((traj, existing))
            continue
        try:
            report.written.append(write_imported(run, out))
        except OSError as exc:
            report.failed.append(TrajImportError(traj, f"cannot write the run folder: {exc.strerror or exc}"))
    return report
