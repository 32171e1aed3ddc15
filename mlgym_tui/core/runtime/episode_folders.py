"""Local episode folders (``$TMPDIR/mlgym-episode-*``) and evaluation folders (``mlgym-judge-*``, on every
backend) that never outlive their episode.

Three layers, from the common case to the rare one:

- ``close()`` removes the folder at the end of an episode;
- a *reaper* — a ``sh`` started beside the episode that blocks reading a pipe only this process holds —
  removes it when this process ends in any way, SIGKILL included (the kernel closes the pipe);
- a *sweep* at the first episode of every process removes folders whose owner process is gone (a power
  cut kills the reaper too). Each folder names its owner in ``.owner`` (pid and start time, so a reused
  pid does not keep a stale folder alive).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from mlgym_tui.core.runtime.proc_stat import read_stat

EPISODE_PREFIX = "mlgym-episode-"
JUDGE_PREFIX = "mlgym-judge-"
"""An evaluation's private folder (the submission copy the judge reads, the judge's scripts)."""
PREFIXES = (EPISODE_PREFIX, JUDGE_PREFIX)
OWNER_FILE = ".owner"
UNOWNED_AGE = 24 * 3600
"""Folders without an owner file (written by older versions) are swept once they are this old."""
_REAPER_SCRIPT = 'read -r _; rm -rf -- "$1" 2>/dev/null || { sleep 0.5; rm -rf -- "$1"; }'
_swept = False


def _start_time(pid: int) -> str | None:
    stat = read_stat(pid)
    return stat.start_time if stat else None


def make_episode_root(prefix: str = EPISODE_PREFIX) -> Path:
    """A fresh episode (or evaluation, ``prefix=JUDGE_PREFIX``) folder owned by this process."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    (root / OWNER_FILE).write_text(f"{os.getpid()} {_start_time(os.getpid()) or 0}\n")
    return root


def start_reaper(root: Path) -> subprocess.Popen[bytes]:
    """A process that removes ``root`` once this process has ended (it reads EOF on a pipe we hold)."""
    return subprocess.Popen(
        ["sh", "-c", _REAPER_SCRIPT, "mlgym-episode-reaper", str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C in the terminal must not remove a folder still in use
        # a minimal environment: a batch that kills what its episodes left (by an environment tag) must
        # not kill the one process that cleans up after them
        env={"PATH": os.environ.get("PATH") or "/usr/bin:/bin"},
    )


def stop_reaper(reaper: subprocess.Popen[bytes]) -> None:
    """Let the reaper go (the folder is already removed): close its pipe and collect it."""
    if reaper.stdin is not None:
        with contextlib.suppress(OSError):
            reaper.stdin.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        reaper.wait(timeout=5)


def _owner_alive(root: Path) -> bool:
    try:
        pid_text, _, started = (root / OWNER_FILE).read_text().strip().partition(" ")
        pid = int(pid_text)
    except FileNotFoundError:
        with contextlib.suppress(OSError):
            return time.time() - root.stat().st_mtime < UNOWNED_AGE
        return False
    except (OSError, ValueError):
        return False
    current = _start_time(pid)
    return current is not None and (started in ("", "0") or current == started)


def sweep_stale_episodes(base: Path | None = None, *, force: bool = False) -> list[Path]:
    """Remove episode folders of this user whose owner is gone; once per process unless ``force``."""
    global _swept
    if _swept and not force:
        return []
    _swept = True
    folder = base or Path(tempfile.gettempdir())
    removed: list[Path] = []
    uid = os.getuid()
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(PREFIXES):
            continue
        try:
            if entry.is_symlink() or not entry.is_dir() or entry.stat().st_uid != uid:
                continue
        except OSError:
            continue
        if not _owner_alive(entry):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed
