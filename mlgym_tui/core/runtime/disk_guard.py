"""A workspace size limit for the local backend, enforced while the episode runs.

An unprivileged process cannot give a folder a quota (no loop device, no tmpfs without root), so the
local backend measures instead: a thread adds up the blocks under the workspace and the sandbox's /tmp
every couple of seconds (less often when measuring is slow), and when they pass the limit it stops every
process of the sandbox but the shell, and the next observation says why. The agent can then delete files
and go on. A burst can overshoot the limit for up to one interval; the limit bounds what an episode keeps,
not the exact byte.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

MIN_INTERVAL = 2.0
"""Seconds between measurements at least; more when a measurement takes long (at most 5% of the time)."""


def disk_usage(roots: Sequence[Path]) -> int:
    """Bytes on disk under ``roots`` (links not followed, each inode counted once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    stack = [str(r) for r in roots]
    while stack:
        path = stack.pop()
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    key = (st.st_dev, st.st_ino)
                    if key in seen:
                        continue
                    seen.add(key)
                    total += st.st_blocks * 512
                    if stat.S_ISDIR(st.st_mode):
                        stack.append(entry.path)
        except OSError:
            continue
    return total


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


class DiskGuard:
    """Measures ``roots`` in a daemon thread; calls ``on_exceed`` each time they are over ``limit``."""

    def __init__(self, roots: Sequence[Path], limit: int, on_exceed: Callable[[int], None]) -> None:
        self.roots = list(roots)
        self.limit = limit
        self.on_exceed = on_exceed
        self.usage = 0
        self.exceeded: int | None = None
        """The usage last found over the limit, until the agent reads the notice (:meth:`notice`)."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mlgym-disk-guard", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        interval = MIN_INTERVAL
        while not self._stop.wait(interval):
            started = time.monotonic()
            self.check()
            interval = max(MIN_INTERVAL, 20 * (time.monotonic() - started))

    def check(self) -> int:
        self.usage = disk_usage(self.roots)
        if self.usage > self.limit:
            self.exceeded = self.usage
            self.on_exceed(self.usage)
        return self.usage

    def notice(self) -> str:
        """The line for the next observation if the limit was hit since the last notice, else ''."""
        if self.exceeded is None:
            return ""
        usage, self.exceeded = self.exceeded, None
        return (
            f"\n[the workspace and /tmp use {human(usage)}, over this task's limit of {human(self.limit)} "
            "(limits.max_workspace_bytes): every running process was stopped; delete files to go on]"
        )

    def stop(self) -> None:
        self._stop.set()
