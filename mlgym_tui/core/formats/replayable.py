"""Any run input as something the replay reads: a run folder or its ``trajectory.jsonl``.

``replay`` takes what ``export`` and ``score`` take. Our run folders (and trajectory files) are used as
they are. An MLGym / SWE-agent ``.traj`` file, or a raw MLGym run folder holding one (with its
``results.json``), is imported once into ``<cache>/imported/<key>/`` — not into the user's runs
(replaying is not importing) and never next to the input, which may be read-only. The key is the
source's absolute path, size and modification time: opening the same file again reuses the folder at
once, and a file that changed is imported afresh. A run imported before the importer synthesised the
editor's events gets them the same way: a copy with them, made once in the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from mlgym_tui.core.formats.loaded import FormatError
from mlgym_tui.core.observations import EDITOR_NOTE, with_editor_events
from mlgym_tui.core.trajectory import (
    RESULT_FILE,
    TRAJECTORY_FILE,
    TrajectoryError,
    TrajectoryRecorder,
    read_trajectory,
)
from mlgym_tui.paths import cache_dir

WHAT = "a run folder, its trajectory.jsonl, an MLGym/SWE-agent .traj file or an MLGym run folder"


def imports_cache() -> Path:
    """Where replayed ``.traj`` files are imported (``$MLGYM_CACHE_DIR/imported``)."""
    return cache_dir() / "imported"


def source_traj(path: Path) -> Path | None:
    """The ``.traj`` that ``path`` is or holds (a raw MLGym run folder), or None."""
    if path.is_file():
        return path if path.suffix == ".traj" else None
    if path.is_dir() and not (path / TRAJECTORY_FILE).exists():
        found = sorted(path.glob("*.traj"))
        return found[0] if found else None
    return None


def check_trajectory_file(path: Path) -> dict[str, Any]:
    """The header of ``path``; :class:`FormatError` unless it starts with one (reads one line)."""
    try:
        with path.open("rb") as f:
            first = f.readline(1 << 20)
    except OSError as exc:
        raise FormatError(path, exc.strerror or str(exc)) from exc
    if not first.strip():
        raise FormatError(path, "empty file, not a trajectory")
    try:
        header = json.loads(first)
    except (ValueError, UnicodeDecodeError):
        header = None
    if not isinstance(header, dict) or header.get("kind") != "header":
        raise FormatError(path, f"not a trajectory (line 1 is not a trajectory header); replay takes {WHAT}")
    if isinstance(header.get("imported"), dict) and header["imported"].get("results_only"):
        raise FormatError(path, NOTHING_TO_REPLAY)
    return header


NOTHING_TO_REPLAY = ("a results-only MLGym run (its results.json, no .traj): nothing to replay; "
                     "`mlgym-tui score` counts its scores")


def replayable(path: Path, cache: Path | None = None) -> Path:
    """A run folder or trajectory file for ``path``; raises :class:`FormatError` with a one-line reason."""
    path = Path(path)
    if not path.exists():
        raise FormatError(path, "no such file or folder")
    traj = source_traj(path)
    if traj is not None:
        return _imported(traj, cache or imports_cache())
    file = path / TRAJECTORY_FILE if path.is_dir() else path
    if path.is_dir() and not file.is_file() and (path / "results.json").is_file():
        raise FormatError(path, NOTHING_TO_REPLAY)
    if not file.is_file():
        raise FormatError(path, f"no trajectory here; replay takes {WHAT}")
    header = check_trajectory_file(file)
    imported = header.get("imported")
    if isinstance(imported, dict) and "editor" not in imported:
        return _with_editor(file, header, cache or imports_cache())
    return path


def replayable_now(path: Path, cache: Path | None = None) -> Path | None:
    """What :func:`replayable` returns, when it has nothing to import or copy first; else None (also for
    input it would refuse: it says why)."""
    try:
        path = Path(path)
        traj = source_traj(path)
        if traj is not None:
            return _cached_run((cache or imports_cache()) / _key(traj))
        file = path / TRAJECTORY_FILE if path.is_dir() else path
        if not file.is_file():
            return None
        imported = check_trajectory_file(file).get("imported")
        if isinstance(imported, dict) and "editor" not in imported:
            entry = (cache or imports_cache()) / f"editor-{_key(file)}"
            return entry if (entry / TRAJECTORY_FILE).is_file() else None
        return path
    except (OSError, FormatError):
        return None


def _with_editor(file: Path, header: dict[str, Any], cache: Path) -> Path:
    """A run imported before the importer synthesised editor events, with them, as a copy in the cache
    (made once per version of the file; the user's run folder is not touched)."""
    try:
        entry = cache / f"editor-{_key(file)}"
    except OSError as exc:
        raise FormatError(file, exc.strerror or str(exc)) from exc
    if (entry / TRAJECTORY_FILE).is_file():
        return entry
    try:
        trajectory = read_trajectory(file)
    except TrajectoryError as exc:
        raise FormatError(file, str(exc).split(": ", 1)[-1]) from exc
    tmp = cache / f".{entry.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    fields = {k: v for k, v in header.items() if k not in ("kind", "schema", "version")}
    fields["imported"] = {**header["imported"], "editor": EDITOR_NOTE + " when replayed"}
    try:
        tmp.mkdir(parents=True)
        recorder = TrajectoryRecorder(tmp / TRAJECTORY_FILE, fields)
        try:
            for event in with_editor_events(trajectory.events):
                recorder(event)
        finally:
            recorder.close()
        if (file.parent / RESULT_FILE).is_file():
            shutil.copyfile(file.parent / RESULT_FILE, tmp / RESULT_FILE)
        os.replace(tmp, entry)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if (entry / TRAJECTORY_FILE).is_file():  # another viewer made it first
            return entry
        raise FormatError(file, f"cannot write into {cache}: {exc.strerror or exc}") from exc
    return entry


def _key(traj: Path) -> str:
    st = traj.stat()
    return hashlib.sha256(f"{traj.resolve()}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()[:24]


def _cached_run(entry: Path) -> Path | None:
    found = [p.parent for p in entry.glob(f"*/*/*/{RESULT_FILE}")]
    return found[0] if len(found) == 1 else None


def _imported(traj: Path, cache: Path) -> Path:
    from mlgym_tui.core.formats.importing import write_imported
    from mlgym_tui.core.formats.mlgym import TrajImportError, read_traj

    try:
        entry = cache / _key(traj)
    except OSError as exc:
        raise FormatError(traj, exc.strerror or str(exc)) from exc
    if (run := _cached_run(entry)) is not None:
        return run
    shutil.rmtree(entry, ignore_errors=True)  # an entry left half-made by a killed process
    try:
        imported = read_traj(traj)
    except TrajImportError as exc:
        raise FormatError(traj, exc.reason) from exc
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache / f".{entry.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        write_imported(imported, tmp)
        os.replace(tmp, entry)  # atomic: a second viewer sees the whole folder or none
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if (run := _cached_run(entry)) is not None:  # another process imported it first
            return run
        raise FormatError(traj, f"cannot import into {cache}: {exc.strerror or exc}") from exc
    run = _cached_run(entry)
    if run is None:
        raise FormatError(traj, f"import into {entry} left no run folder")
    return run
