"""The local backend's player process: the task's player driver as a child process with pipes.

It gets the agent shell's environment (clean, no private data) and its sandbox: the argv goes through
the runtime's ``wrap`` hook, which the local backend points at its sandbox launcher where it has one.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

_STDERR_KEEP = 16_384


class LocalPlayer:
    """See :class:`mlgym_tui.core.runtime.base.PlayerProcess`."""

    def __init__(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> None:
        self.proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        os.set_blocking(self.proc.stdout.fileno(), False)
        self._stderr = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._drain_stderr, daemon=True)
        self._reader.start()
        self._closed = False

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        for chunk in iter(lambda: self.proc.stderr.read1(1 << 16), b""):  # type: ignore[union-attr]
            with self._lock:
                self._stderr += chunk
                del self._stderr[:-_STDERR_KEEP]

    def send(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        with contextlib.suppress(BrokenPipeError, OSError, ValueError):
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def recv(self, timeout: float) -> bytes | None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        try:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                return None
            return os.read(fd, 1 << 20)
        except BlockingIOError:
            return None
        except (OSError, ValueError):
            return b""

    def close_input(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.stdin.close()  # type: ignore[union-attr]

    def stderr_tail(self) -> str:
        with self._lock:
            return bytes(self._stderr).decode("utf-8", errors="replace")

    def cpu_seconds(self) -> float | None:
        """user + system time of every process in the player's session (and the children they waited
        for), from /proc."""
        return session_cpu_seconds(self.proc.pid)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self._reader.join(timeout=2)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()


def session_cpu_seconds(sid: int) -> float | None:
    """Sum of utime, stime, cutime and cstime over the processes of session ``sid`` and every descendant
    of process ``sid`` (None if none).

    Descendants count too because a sandboxed player runs in a session of its own inside bubblewrap
    (``--new-session``): its session id is not the launcher's, but it stays a descendant of it (orphans
    are adopted by the sandbox's own init, itself a descendant).
    """
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    sessions: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()  # from "state": 1 ppid, 3 session, 11-14 times
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        sessions[pid] = int(fields[3])
        times[pid] = sum(int(x) for x in fields[11:15])
    counted = {pid for pid, session in sessions.items() if session == sid}
    if sid in parents:
        counted.add(sid)
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in counted and pid not in counted:
                counted.add(pid)
                grew = True
    if not counted:
        return None
    return sum(times[pid] for pid in counted) / ticks
