"""Attached ``docker exec`` sessions: a raw, demultiplexed byte stream to one process in a container.

``exec_run`` costs ~50 ms per call (create, start, attach, inspect). An exec started once and kept
attached costs one socket round trip (~0.3 ms) per exchange, which is why both the agent's shell and the
runtime's in-container supervisor (:mod:`mlgym_tui.core.runtime.docker_supervisor`) live on one.

Without a TTY the daemon multiplexes stdout and stderr on the socket: each frame is an 8-byte header
(stream id, three zero bytes, big-endian payload length) followed by the payload.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import time
from collections.abc import Sequence
from typing import Any

from mlgym_tui.core.errors import SandboxError

_HEADER = struct.Struct(">BxxxL")
_STDERR = 2
_STDERR_KEEP = 16_384


class ExecStream:
    """One process started with ``docker exec`` and attached through a single socket.

    ``merge_stderr`` hands stderr payloads out with stdout (the shell); otherwise stderr is kept apart
    (its tail, for error messages) and only stdout is returned by :meth:`recv`.
    """

    def __init__(
        self,
        api: Any,
        container_id: str,
        argv: Sequence[str],
        *,
        user: str,
        workdir: str | None = None,
        environment: dict[str, str] | None = None,
        merge_stderr: bool = True,
    ) -> None:
        self.api = api
        try:
            created = api.exec_create(
                container_id,
                list(argv),
                stdin=True,
                stdout=True,
                stderr=True,
                tty=False,
                user=user,
                workdir=workdir,
                environment=environment,
            )
            self.exec_id: str = created["Id"]
            handle = api.exec_start(self.exec_id, socket=True)
        except Exception as exc:  # noqa: BLE001 - any daemon error here means the sandbox is unusable
            raise SandboxError(f"cannot start a process in the sandbox container: {exc}") from exc
        self._attach(handle, merge_stderr)

    @classmethod
    def over(cls, sock: socket.socket, merge_stderr: bool = True) -> ExecStream:
        """A stream over an already attached socket (tests drive one end of a socket pair)."""
        stream = cls.__new__(cls)
        stream.api = None
        stream.exec_id = ""
        stream._attach(sock, merge_stderr)
        return stream

    def _attach(self, handle: Any, merge_stderr: bool) -> None:
        self.merge_stderr = merge_stderr
        self.stderr = bytearray()
        self._frames = bytearray()
        self._output = bytearray()
        self._eof = False
        self._handle = handle  # keeps the HTTP response (and so the socket) alive
        self.sock: socket.socket = getattr(handle, "_sock", handle)
        self.sock.setblocking(True)

    def send(self, data: bytes) -> None:
        """Write to the process's stdin; a dead process is noticed by :meth:`recv` returning EOF."""
        with contextlib.suppress(OSError):
            self.sock.sendall(data)

    def recv(self, timeout: float) -> bytes | None:
        """Output that arrives within ``timeout``: ``None`` if none did, ``b""`` at end of stream."""
        if not self._output and not self._eof:
            self._wait(time.monotonic() + timeout)
        if self._output:
            out = bytes(self._output)
            self._output.clear()
            return out
        return b"" if self._eof else None

    def recv_exactly(self, size: int, timeout: float) -> bytes:
        """Exactly ``size`` bytes of output; raises SandboxError at EOF or after ``timeout``."""
        deadline = time.monotonic() + timeout
        while len(self._output) < size:
            self._need_more(deadline)
        out = bytes(self._output[:size])
        del self._output[:size]
        return out

    def recv_line(self, timeout: float) -> bytes:
        """One line of output (without its newline); raises SandboxError at EOF or after ``timeout``."""
        deadline = time.monotonic() + timeout
        while (at := self._output.find(b"\n")) < 0:
            self._need_more(deadline)
        line = bytes(self._output[:at])
        del self._output[: at + 1]
        return line

    def _need_more(self, deadline: float) -> None:
        """Read at least one more chunk (what is buffered is an incomplete line or payload)."""
        if self._eof:
            raise SandboxError(self._ended_message())
        if not self._read_once(deadline):
            raise SandboxError("the sandbox stopped answering")

    def _wait(self, deadline: float) -> None:
        """Read from the socket until some output arrived, EOF, or ``deadline``."""
        while not self._output and not self._eof and self._read_once(deadline):
            pass

    def _read_once(self, deadline: float) -> bool:
        """One read from the socket (False when nothing came by ``deadline``); sets EOF at its end."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                ready, _, _ = select.select([self.sock], [], [], remaining)
                if not ready:
                    return False
                data = self.sock.recv(1 << 16)
            except BlockingIOError:
                continue
            except (OSError, ValueError):
                data = b""
            if not data:
                self._eof = True
            else:
                self._frames += data
                self._split_frames()
            return True

    def _split_frames(self) -> None:
        """Move complete frames' payloads to the output (stderr set apart unless merged)."""
        buf = self._frames
        while len(buf) >= _HEADER.size:
            stream, length = _HEADER.unpack_from(buf)
            if len(buf) < _HEADER.size + length:
                return
            payload = buf[_HEADER.size : _HEADER.size + length]
            if stream == _STDERR and not self.merge_stderr:
                self.stderr += payload
                del self.stderr[:-_STDERR_KEEP]
            else:
                self._output += payload
            del buf[: _HEADER.size + length]

    def _ended_message(self) -> str:
        tail = bytes(self.stderr[-2000:]).decode("utf-8", errors="replace").strip()
        return "the sandbox process ended" + (f": {tail}" if tail else "")

    def exit_code(self, wait: float = 2.0) -> int | None:
        """The process's exit code once the daemon has it (waits up to ``wait`` seconds)."""
        deadline = time.monotonic() + wait
        while True:
            try:
                info = self.api.exec_inspect(self.exec_id)
            except Exception:  # noqa: BLE001 - the container may be gone
                return None
            if not info.get("Running"):
                return info.get("ExitCode")
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)

    def close(self) -> None:
        """Drop the connection (the process sees EOF on stdin)."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()
        with contextlib.suppress(Exception):
            self._handle.close()
