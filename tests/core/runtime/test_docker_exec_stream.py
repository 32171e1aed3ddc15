"""The exec socket's framing, without a daemon: frames split anywhere, stderr kept apart, EOF."""

from __future__ import annotations

import socket
import struct
import threading
import time

import pytest

from mlgym_tui.core.errors import SandboxError
from mlgym_tui.core.runtime.docker_exec import ExecStream


def frame(stream: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(payload)) + payload


def test_lines_and_payloads_split_across_frames_and_reads() -> None:
    ours, theirs = socket.socketpair()
    stream = ExecStream.over(ours, merge_stderr=False)
    wire = frame(1, b'{"ok": tr') + frame(2, b"a warning\n") + frame(1, b'ue, "size": 5}\nhel') + frame(1, b"lo")

    def dribble() -> None:  # a byte at a time, as a loaded daemon may deliver it
        for i in range(len(wire)):
            theirs.sendall(wire[i : i + 1])
            time.sleep(0.001)
        theirs.shutdown(socket.SHUT_WR)

    threading.Thread(target=dribble, daemon=True).start()
    assert stream.recv_line(5) == b'{"ok": true, "size": 5}'
    assert stream.recv_exactly(5, 5) == b"hello"
    assert bytes(stream.stderr) == b"a warning\n"
    assert stream.recv(5) == b""
    with pytest.raises(SandboxError):
        stream.recv_line(1)


def test_merged_stream_and_timeouts() -> None:
    ours, theirs = socket.socketpair()
    stream = ExecStream.over(ours)
    assert stream.recv(0.05) is None
    theirs.sendall(frame(1, b"out ") + frame(2, b"err"))
    time.sleep(0.05)
    assert stream.recv(1) == b"out err"
    theirs.sendall(frame(1, b"no newline"))
    with pytest.raises(SandboxError, match="stopped answering"):
        stream.recv_line(0.2)
