"""Cached virtual environments, one per distinct set of task requirements.

Installing a task's requirements is the project's job, not the user's. Environments live under the cache
folder keyed by a hash of the sorted requirement list, are built in a temporary folder and renamed into
place (so a crash never leaves a half-built one that looks finished), and are guarded by a file lock so
parallel episodes build each one once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from mlgym_tui.core.errors import UserError
from mlgym_tui.paths import cache_dir


def requirements_key(requirements: list[str]) -> str:
    normalised = sorted({r.strip() for r in requirements if r.strip()})
    return hashlib.sha256(json.dumps([sys.version_info[:2], normalised]).encode()).hexdigest()[:16]


def ensure_venv(requirements: list[str], log: Callable[[str], None] | None = None) -> Path:
    """Path of a ready virtual environment with ``requirements`` installed; builds it on first use."""
    root = cache_dir() / "venvs"
    root.mkdir(parents=True, exist_ok=True)
    key = requirements_key(requirements)
    target = root / key
    if (target / ".complete").is_file():
        return target
    with open(root / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / ".complete").is_file():
            return target
        if log:
            log(f"preparing a Python environment for: {', '.join(requirements) or '(no requirements)'}")
        build = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=root))
        try:
            shutil.rmtree(build)
            subprocess.run([sys.executable, "-m", "venv", str(build)], check=True, capture_output=True)
            if requirements:
                proc = subprocess.run(
                    [
                        str(build / "bin" / "python"),
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
            (build / ".complete").write_text(json.dumps(sorted(requirements)))
            if target.exists():
                shutil.rmtree(target)
            build.rename(target)
        finally:
            if build.exists():
                shutil.rmtree(build, ignore_errors=True)
    return target
