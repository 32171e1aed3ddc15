"""Task data, prepared once per task and cached: a public part for the workspace, a private part
(test labels) that only the evaluation sees.

A task's ``data.prepare`` script receives ``--out DIR`` (and ``--full`` for the full data set where the
task offers one) and writes ``DIR/public`` and ``DIR/private``. The cache key covers the task folder's
prepare script and its settings, so editing the loader re-prepares.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mlgym_tui.core.errors import UserError
from mlgym_tui.core.task import TaskConfig
from mlgym_tui.paths import cache_dir


@dataclass(frozen=True)
class PreparedData:
    public: Path | None
    private: Path | None


def _key(task: TaskConfig, full: bool) -> str:
    assert task.data.prepare is not None
    digest = hashlib.sha256((task.dir / task.data.prepare).read_bytes())
    digest.update(b"full" if full else b"offline")
    return digest.hexdigest()[:16]


def prepare_data(
    task: TaskConfig,
    python: Path,
    full: bool = False,
    timeout: float = 1800,
    log: Callable[[str], None] | None = None,
) -> PreparedData:
    """Run the task's prepare script (once; cached) and return where its outputs are."""
    if task.data.prepare is None:
        private = task.dir / task.data.private_dir if task.data.private_dir else None
        return PreparedData(None, private if private is not None and private.is_dir() else None)
    root = cache_dir() / "data" / task.id
    root.mkdir(parents=True, exist_ok=True)
    key = _key(task, full)
    target = root / key
    if not (target / ".complete").is_file():
        with open(root / f"{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (target / ".complete").is_file():
                if log:
                    log(f"preparing data for {task.id} (once; cached in {root})")
                build = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=root))
                argv = [str(python), str(task.dir / task.data.prepare), "--out", str(build)]
                if full:
                    argv.append("--full")
                try:
                    proc = subprocess.run(argv, cwd=task.dir, capture_output=True, text=True, timeout=timeout)
                except subprocess.TimeoutExpired as exc:
                    shutil.rmtree(build, ignore_errors=True)
                    raise UserError(f"{task.id}: data preparation took longer than {timeout:g} s") from exc
                if proc.returncode != 0:
                    shutil.rmtree(build, ignore_errors=True)
                    tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
                    raise UserError(f"{task.id}: data preparation failed ({task.data.prepare}):\n{tail}")
                (build / ".complete").touch()
                if target.exists():
                    shutil.rmtree(target)
                build.rename(target)
    public = target / "public"
    private = target / "private"
    return PreparedData(public if public.is_dir() else None, private if private.is_dir() else None)
