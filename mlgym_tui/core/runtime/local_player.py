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

from mlgym_tui.core.runtime.proc_stat import session_cpu_seconds

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
