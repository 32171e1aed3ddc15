"""The persistent-shell protocol shared by every backend.

One ``bash`` lives for the whole episode so ``cd``, ``export`` and activated environments survive between
commands. Each command travels as a single line (``eval`` of an ANSI-C quoted string, so quotes, heredocs
and syntax errors in it cannot desynchronise the protocol), reads stdin from ``/dev/null``, and is
followed by a sentinel line carrying its exit status and the new cwd. ``set -m`` puts every command in a
process group of its own, so a timeout can kill the whole command tree and leave the shell alive; a USR1
trap then abandons the rest of the command list. After each command the shell reports its exported
variables and cwd; if the shell itself dies or must be killed (an ``exit``, a crash), a fresh one is
started from that state.

Backends supply only a byte transport (:class:`ShellTransport`); all parsing, capping and decoding is here.
"""

from __future__ import annotations

import codecs
import secrets
import signal
import time
from typing import Protocol

from mlgym_tui.core.errors import SandboxError
from mlgym_tui.core.runtime.base import CommandResult, OutputCallback

TIMEOUT_EXIT_CODE = 124
_GRACE_AFTER_KILL = 2.0
_SAFE_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-./,:=+@%")


class ShellTransport(Protocol):
    """A byte pipe to a running ``bash`` (stdout and stderr merged) plus process control."""

    def send(self, data: bytes) -> None:
        """Write to the shell's stdin."""

    def recv(self, timeout: float) -> bytes | None:
        """Next chunk of output; ``b""`` at end of stream, ``None`` if nothing came within ``timeout``."""

    def process_groups(self) -> set[int]:
        """Process groups in the shell's session other than the shell's own."""

    def kill_process_groups(self, pgids: set[int]) -> None:
        """SIGKILL these process groups."""

    def signal_shell(self, signum: int) -> None:
        """Send a signal to the shell process itself."""

    def restart(self) -> None:
        """Kill the shell if it lives and start a fresh one (the protocol re-initialises it)."""

    def exit_status(self) -> int | None:
        """The shell's exit status if it has ended, else None."""


def ansi_c_quote(command: str) -> str:
    """Quote any text as a bash ``$'...'`` word; every byte outside a small safe set becomes ``\\xHH``."""
    out = []
    for byte in command.encode("utf-8", errors="surrogateescape"):
        out.append(chr(byte) if byte in _SAFE_BYTES else f"\\x{byte:02x}")
    return "$'" + "".join(out) + "'"


class OutputCap:
    """Keeps the first and last ``limit/2`` bytes of a stream; memory stays bounded whatever arrives."""

    def __init__(self, limit: int) -> None:
        self.head_limit = max(limit // 2, 1)
        self.tail_limit = max(limit - self.head_limit, 1)
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self._announced = False
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, data: bytes) -> str:
        """Take a chunk; return the text that is still within the head (what a viewer may stream)."""
        self.total += len(data)
        room = self.head_limit - len(self.head)
        streamed = b""
        if room > 0:
            streamed = data[:room]
            self.head += streamed
            data = data[room:]
        text = clean_text(self._decoder.decode(streamed)) if streamed else ""
        if data:
            self.tail += data
            if len(self.tail) > 2 * self.tail_limit:
                del self.tail[: len(self.tail) - self.tail_limit]
            if not self._announced:
                self._announced = True
                text += (
                    f"\n[... output past {self.head_limit:,} bytes is not shown live; its end is kept ...]\n"
                )
        return text

    @property
    def cut(self) -> int:
        """Bytes dropped from the middle."""
        return max(self.total - len(self.head) - min(len(self.tail), self.tail_limit), 0)

    def text(self) -> str:
        """The kept output, with a line saying how much was cut and where."""
        head = clean_text(bytes(self.head).decode("utf-8", errors="replace"))
        tail_bytes = bytes(self.tail[-self.tail_limit :]) if self.tail else b""
        tail = clean_text(tail_bytes.decode("utf-8", errors="replace"))
        if not self.cut:
            return head + tail
        return (
            f"{head}\n[... output cut: {self.cut:,} of {self.total:,} bytes not shown; "
            f"first {len(self.head):,} and last {len(tail_bytes):,} bytes kept ...]\n{tail}"
        )


def clean_text(text: str) -> str:
    """Drop NUL bytes, which terminals and JSON consumers handle badly; keep everything else."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


class PersistentShell:
    """Runs commands one at a time through a :class:`ShellTransport`."""

    def __init__(self, transport: ShellTransport, cap_bytes: int) -> None:
        self.transport = transport
        self.cap_bytes = cap_bytes
        self.nonce = secrets.token_hex(8)
        self.marker = f"\n__MLGYM_{self.nonce}__ ".encode()
        self.state_end = f"__MLGYM_{self.nonce}__END\n".encode()
        self.state = b""
        """The shell's exported variables and cwd after the last command, as bash commands."""
        self.current_dir = ""
        self._initialised = False
        self._last_background = "0"
        self._background_groups: set[int] = set()

    def initialise(self, start_dir: str) -> None:
        """Prepare a fresh shell: job control, no prompts, first state snapshot."""
        self.current_dir = start_dir
        self._send_setup(restore=False)
        self._initialised = True

    def _send_setup(self, *, restore: bool) -> None:
        lines = [
            "set -m",
            "export PS1='' PS2=''",
            "unset PROMPT_COMMAND",
            # Commands run inside a function so a timeout can abandon the rest of a command list: the
            # USR1 trap fires once the killed foreground job is reaped and returns from the function.
            '__mlgym_run() { eval -- "$__mlgym_cmd"; }',
            "trap 'return 124 2>/dev/null' USR1",
        ]
        if not restore:
            lines.append(f"cd -- {ansi_c_quote(self.current_dir)}")
        lines.append(self._epilogue())
        state = b"{\n" + self.state + b"} >/dev/null 2>&1\n" if restore and self.state else b""
        self.transport.send(state + ("\n".join(lines) + "\n").encode())
        self._read_until_sentinel(time.monotonic() + 30, OutputCap(self.cap_bytes), None)

    def _epilogue(self) -> str:
        """After each command: a status line (exit code, last background pid, cwd), then the shell's state
        (``export -p`` and a ``cd``) up to an end line. The state travels on the pipe rather than into a
        file: a file write per command costs more than the whole round trip."""
        return (
            "__mlgym_rc=$?; "
            f'printf \'\\n__MLGYM_{self.nonce}__ %d %s %s\\n\' "$__mlgym_rc" "${{!:-0}}" "$PWD"; '
            f"export -p; printf 'cd -- %q\\n__MLGYM_{self.nonce}__END\\n' \"$PWD\""
        )

    def run(self, command: str, timeout: float, on_output: OutputCallback | None = None) -> CommandResult:
        """Run one command; see the module docstring for the guarantees."""
        if not self._initialised:
            raise SandboxError("shell used before start()")
        started = time.monotonic()
        before = self._background_groups
        # One line, with a no-op before it: after some syntax errors inside ``eval`` bash misparses
        # the *next* line it reads, and the ``:`` absorbs that.
        line = f":\n__mlgym_cmd={ansi_c_quote(command)}; __mlgym_run < /dev/null; {self._epilogue()}\n"
        cap = OutputCap(self.cap_bytes)
        self.transport.send(line.encode())
        deadline = started + timeout
        status = self._read_until_sentinel(deadline, cap, on_output)
        timed_out = False
        restarted = False
        if status is _TIMEOUT:
            timed_out = True
            status = self._stop_command(before, cap)
            if status is _TIMEOUT or status is _EOF:
                self._restart()
                restarted = True
            exit_code = TIMEOUT_EXIT_CODE
        elif status is _EOF:
            status_code = self.transport.exit_status()
            exit_code = status_code if status_code is not None else 1
            self._restart()
            restarted = True
        else:
            assert isinstance(status, int)
            exit_code = status
        output = cap.text()
        if timed_out:
            output += f"\n[command timed out after {timeout:g} s and was killed]"
        if restarted:
            output += "\n[the shell had to be restarted; its folder and exported variables were restored]"
        return CommandResult(
            output=output,
            exit_code=exit_code,
            duration=time.monotonic() - started,
            timed_out=timed_out,
            cut_bytes=cap.cut,
            shell_restarted=restarted,
        )

    def _stop_command(self, before: set[int], cap: OutputCap) -> int | object:
        """Abandon the running command: signal the shell to leave it, kill every process group it
        started (again and again, as a command list may start more), until the sentinel comes back."""
        self.transport.signal_shell(signal.SIGUSR1)
        give_up = time.monotonic() + _GRACE_AFTER_KILL
        status: int | object = _TIMEOUT
        while time.monotonic() < give_up:
            new_groups = self.transport.process_groups() - before
            if new_groups:
                self.transport.kill_process_groups(new_groups)
            status = self._read_until_sentinel(min(time.monotonic() + 0.2, give_up), cap, None)
            if status is not _TIMEOUT:
                break
        if isinstance(status, int):
            # bash announces the killed jobs ("Killed ...") before the next command: let it do so now,
            # into a discarded buffer, so the notices do not open the next command's output.
            self.transport.send(f":\n{self._epilogue()}\n".encode())
            self._read_until_sentinel(time.monotonic() + _GRACE_AFTER_KILL, OutputCap(self.cap_bytes), None)
        return status

    def _restart(self) -> None:
        self.transport.restart()
        self._last_background = "0"
        self._background_groups = set()
        self._send_setup(restore=True)

    def _read_until_sentinel(
        self, deadline: float, cap: OutputCap, on_output: OutputCallback | None
    ) -> int | object:
        """Feed output to ``cap`` until the sentinel; returns the exit status, _TIMEOUT or _EOF."""
        pending = b""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._emit(cap, pending, on_output)
                return _TIMEOUT
            chunk = self.transport.recv(min(remaining, 0.5))
            if chunk is None:
                continue
            if chunk == b"":
                self._emit(cap, pending, on_output)
                return _EOF
            pending += chunk
            at = pending.find(self.marker)
            if at >= 0:
                # The status line and the state block follow the marker; wait for the block's end line.
                state_at = pending.find(self.state_end, at)
                while state_at < 0:
                    more = self.transport.recv(max(deadline - time.monotonic(), 0.05))
                    if not more:
                        self._emit(cap, pending[:at], on_output)
                        return _EOF if more == b"" else _TIMEOUT
                    pending += more
                    state_at = pending.find(self.state_end, at)
                self._emit(cap, pending[:at], on_output)
                end = pending.index(b"\n", at + len(self.marker))
                self.state = pending[end + 1 : state_at]
                status_line = pending[at + len(self.marker) : end].decode("utf-8", errors="replace")
                code, _, rest = status_line.partition(" ")
                last_background, _, cwd = rest.partition(" ")
                self.current_dir = cwd
                if last_background != self._last_background:
                    # A background job was started: remember the groups that exist now, so a later
                    # timeout kills only what that command started. (Scanning for process groups costs
                    # far more than a command round trip, so it is not done for every command.)
                    self._last_background = last_background
                    self._background_groups = self.transport.process_groups()
                return int(code)
            safe = _emittable(pending, self.marker)
            if safe:
                self._emit(cap, pending[:safe], on_output)
                pending = pending[safe:]

    @staticmethod
    def _emit(cap: OutputCap, data: bytes, on_output: OutputCallback | None) -> None:
        if not data:
            return
        text = cap.feed(data)
        if on_output is not None and text:
            on_output(text)


def _emittable(pending: bytes, marker: bytes) -> int:
    """How many leading bytes of ``pending`` cannot be part of a marker still arriving."""
    i = pending.find(marker[:1], max(0, len(pending) - len(marker) + 1))
    while i != -1:
        if marker.startswith(pending[i:]):
            return i
        i = pending.find(marker[:1], i + 1)
    return len(pending)


_TIMEOUT = object()
_EOF = object()
