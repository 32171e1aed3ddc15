"""Any run input as something the replay reads: a run folder or its ``trajectory.jsonl``.

``replay`` takes what ``export`` and ``score`` take. Our run folders (and trajectory files) are used as
they are. An MLGym / SWE-agent ``.traj`` file, or a raw MLGym run folder holding one (with its
``results.json``), is imported once into ``<cache>/imported/<key>/`` — not into the user's runs
(replaying is not importing) and never next to the input, which may be read-only. The key is the
source's absolute path, size and modification time: opening the same file again reuses the folder at
once, and a file that changed is imported afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from mlgym_tui.core.formats.loaded import FormatError
from mlgym_tui.core.trajectory import RESULT_FILE, TRAJECTORY_FILE
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


def check_trajectory_file(path: Path) -> None:
    """Raise :class:`FormatError` unless ``path`` starts with a trajectory header (reads one line)."""
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
    check_trajectory_file(file)
    return path


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
