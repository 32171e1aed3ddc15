"""A workspace size limit, enforced while the episode runs, the same way on every backend.

Neither backend can give the agent's files a quota: an unprivileged process has no loop device and no
tmpfs, and Docker's overlay2 on ext4 has no size option for a container's writable layer (a tmpfs
volume would hold the workspace in memory). So both measure instead: a thread adds up the blocks the
agent's files take (the backend's ``measure``: the local workspace and /tmp; in a container, every place
the agent can write, see :mod:`.docker_disk`) every couple of seconds (less often when measuring is
slow), and when they pass the limit the backend stops every process of the agent's but the shell, and
the next observation says why. The agent can then delete files and go on. A burst can overshoot the
limit for up to one interval; the limit bounds what an episode keeps, not the exact byte.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

MIN_INTERVAL = 2.0
"""Seconds between measurements at least; more when a measurement takes long (at most 5% of the time)."""


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


class DiskGuard:
    """Calls ``measure`` in a daemon thread; calls ``on_exceed`` each time it is over ``limit``."""

    def __init__(self, measure: Callable[[], int], limit: int, on_exceed: Callable[[int], None]) -> None:
        self.measure = measure
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
            try:
                self.check()
            except Exception:  # noqa: BLE001 - a sandbox going away mid-measure; the episode notices
                log.debug("disk guard: measuring failed", exc_info=True)
            interval = max(MIN_INTERVAL, 20 * (time.monotonic() - started))

    def check(self) -> int:
        self.usage = self.measure()
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
