"""Cached virtual environments, one per distinct set of task requirements.

Installing a task's requirements is the project's job, not the user's. Environments live under the cache
folder keyed by a hash of the sorted requirement list and are guarded by a file lock so parallel episodes
build each one once. Each is built where it will be used: a virtual environment records its own path
(the first line of ``bin/pip`` and of every other script, ``bin/activate``), so one built elsewhere and
moved has a ``pip`` that points at a folder that no longer exists. A marker file written last says it is
finished; a folder without it (a crashed build) is removed and built again.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from mlgym_tui.core.errors import UserError
from mlgym_tui.paths import cache_dir


def requirements_key(requirements: list[str]) -> str:
    normalised = sorted({r.strip() for r in requirements if r.strip()})
    return hashlib.sha256(json.dumps([sys.version_info[:2], normalised]).encode()).hexdigest()[:16]


def built_elsewhere(venv: Path) -> str | None:
    """The folder an environment was built in, when that is not where it is now (earlier versions built
    environments in a temporary folder and renamed them, which left ``pip`` pointing at that folder)."""
    try:
        first = (venv / "bin" / "pip").read_bytes().split(b"\n", 1)[0].decode()
    except (OSError, UnicodeDecodeError):
        return None
    interpreter = first[2:].strip() if first.startswith("#!") else ""
    built = interpreter.rsplit("/bin/", 1)[0] if "/bin/" in interpreter else ""
    return built if built and built != str(venv) and built.startswith(str(venv.parent)) else None


def relocate(venv: Path) -> None:
    """Point a moved environment's scripts (``pip``, ``activate`` …) at where it is now."""
    built = built_elsewhere(venv)
    if built is None:
        return
    old, new = built.encode(), str(venv).encode()
    for script in (venv / "bin").iterdir():
        if script.is_symlink() or not script.is_file():
            continue
        data = script.read_bytes()
        if old in data and b"\x00" not in data[:4096]:
            script.write_bytes(data.replace(old, new))


def _build(target: Path, requirements: list[str]) -> None:
    if target.exists():
        shutil.rmtree(target)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(target)], check=True, capture_output=True)
        if requirements:
            proc = subprocess.run(
                [
                    str(target / "bin" / "python"),
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "-q",
                    *requirements,
                ],
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
                raise UserError(f"installing task requirements {requirements} failed:\n{tail}")
        (target / ".complete").write_text(json.dumps(sorted(requirements)))
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise


def ensure_venv(requirements: list[str], log: Callable[[str], None] | None = None) -> Path:
    """Path of a ready virtual environment with ``requirements`` installed; builds it on first use."""
    root = cache_dir() / "venvs"
    root.mkdir(parents=True, exist_ok=True)
    key = requirements_key(requirements)
    target = root / key
    if (target / ".complete").is_file() and built_elsewhere(target) is None:
        return target
    with open(root / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / ".complete").is_file():
            relocate(target)
            return target
        if log:
            log(f"preparing a Python environment for: {', '.join(requirements) or '(no requirements)'}")
        _build(target, requirements)
    return target
