"""Telling the fleet view which run folders changed: inotify through ``watchfiles``, or polling.

inotify reports a changed trajectory within milliseconds at no cost while nothing happens; it does not
work on network file systems (NFS, many cluster shares), where Ray workers often write. Polling works
everywhere: it stats only the trajectories it knows (one ``stat`` each, cheap even for a thousand runs)
and walks the tree for new run folders less often. Both feed :meth:`FleetIndex.refresh` the paths that
changed, so only those files are read, and only their new bytes.

No Textual here: the screen runs :meth:`FleetWatcher.run` on a worker thread and receives snapshots.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from mlgym_tui.core.fleet import MANIFEST, FleetIndex, FleetRow

WATCHED_NAMES = {"trajectory.jsonl", "result.json", "batch-status.json", MANIFEST}
FULL_SCAN_SECONDS = 5.0
"""Even with inotify, a full look now and then (a missed event, a folder moved in whole)."""


class FleetWatcher:
    """Keeps a :class:`FleetIndex` current and hands changed rows to ``publish`` (from its own thread)."""

    def __init__(self, index: FleetIndex, publish: Callable[[list[FleetRow], list[str]], None],
                 poll: float | None = None) -> None:
        self.index = index
        self.publish = publish
        self.poll = poll
        """Seconds between polls; None uses inotify when ``watchfiles`` can, polling every 0.25 s otherwise."""
        self.stop = threading.Event()
        self.mode = "poll"
        self._published: dict[str, int] = {}

    def run(self) -> None:
        self._full()
        if self.poll is None:
            try:
                import watchfiles  # noqa: F401
            except ImportError:
                self.poll = 0.25
        if self.poll is None:
            try:
                self._run_inotify()
                return
            except Exception:  # noqa: BLE001 - e.g. out of inotify watches: polling still works
                if self.stop.is_set():
                    return
                self.poll = 0.25
        self._run_polling(self.poll)

    def _run_inotify(self) -> None:
        import watchfiles

        self.mode = "inotify"
        last_full = time.monotonic()
        for changes in watchfiles.watch(
            self.index.root, watch_filter=lambda _change, path: _relevant(path), debounce=50, step=20,
            stop_event=self.stop, rust_timeout=250, yield_on_timeout=True, raise_interrupt=False,
        ):
            if self.stop.is_set():
                return
            changed = [Path(path) for _change, path in changes]
            if changed:
                self._refresh(changed)
            if time.monotonic() - last_full > FULL_SCAN_SECONDS:
                last_full = time.monotonic()
                self._full()

    def _run_polling(self, interval: float) -> None:
        self.mode = "poll"
        last_full = time.monotonic()
        while not self.stop.wait(interval):
            if time.monotonic() - last_full > max(2.0, interval * 8):
                last_full = time.monotonic()
                self._full()
            else:
                known = [row.folder / "trajectory.jsonl" for row in self.index.rows.values() if row.folder]
                self._refresh(known)

    def _full(self) -> None:
        self._refresh(None)

    def _refresh(self, changed: list[Path] | None) -> None:
        before = self.index.version
        self.index.refresh(changed)
        if self.index.version == before:
            return
        rows = self.index.all_rows()
        changed = [replace(r, scores=list(r.scores)) for r in rows if self._published.get(r.key) != r.version]
        current = {r.key for r in rows}
        removed = [key for key in self._published if key not in current]
        self._published = {r.key: r.version for r in rows}
        if changed or removed:
            self.publish(changed, removed)


def _relevant(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name in WATCHED_NAMES
