"""Controlling a running episode from another process: ``control.jsonl`` in its run folder.

The channel is a file because run folders are what every executor shares: a local ``run``, a batch on a
process pool and Ray workers writing to a shared folder all have one, and any process that can see the
folder (the fleet view, a script, another machine) can steer the episode without a server or a port.

- A sender appends one JSON object per line: ``{"id", "command", "text"?, "time", "sender"}`` with
  ``command`` one of :data:`COMMANDS`. Appends are single ``write`` calls on an ``O_APPEND`` file under
  an advisory lock, so two senders never interleave a line. A finished episode (its ``result.json`` is
  written, or a batch marked the folder) refuses new commands with a :class:`ControlRefused`.
- The episode reads the file between steps (:class:`FileControl`, a session controller): ``pause``
  holds the next proposal until ``resume`` or ``stop``; ``stop`` ends the episode with its usual
  autosubmission (stop and submit); ``interject`` passes the text to an agent that can take one. Every
  command it applies, or cannot apply, becomes an ``intervention`` event in the trajectory with the
  command's ``id`` and ``via: "control"``, so a sender can see that (and when) it took effect.

Commands take effect between steps: a model call or a training command in flight finishes first.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgym_tui.core.errors import UserError
from mlgym_tui.core.events import EventBus, EventKind
from mlgym_tui.core.exits import UserStopped
from mlgym_tui.core.trajectory import RESULT_FILE, TRAJECTORY_FILE

if TYPE_CHECKING:
    from mlgym_tui.core.agent import AgentStep

CONTROL_FILE = "control.jsonl"
COMMANDS = ("pause", "resume", "stop", "interject")
ENDED_MARKERS = (RESULT_FILE, "result.partial.json", "batch-status.json")
"""Files whose presence means the episode is over (written at its end, or by a batch that marked it)."""
POLL_SECONDS = 0.2
MAX_LINE_BYTES = 64 * 1024


class ControlRefused(UserError):
    """The command cannot be sent (not a run folder, episode finished, unknown command)."""


def episode_finished(folder: Path) -> bool:
    return any((folder / name).exists() for name in ENDED_MARKERS)


def send_control(folder: Path, command: str, text: str | None = None) -> dict[str, Any]:
    """Append one command to ``folder/control.jsonl``; returns the record written."""
    if command not in COMMANDS:
        raise ControlRefused(f"unknown control command {command!r}; use one of {', '.join(COMMANDS)}")
    if not (folder / TRAJECTORY_FILE).is_file():
        raise ControlRefused(f"{folder}: not a run folder (no {TRAJECTORY_FILE})")
    if episode_finished(folder):
        raise ControlRefused(f"{folder}: the episode has finished; it takes no more commands")
    if command == "interject" and not (text or "").strip():
        raise ControlRefused("interject needs the text to send to the agent")
    record: dict[str, Any] = {
        "id": uuid.uuid4().hex[:12],
        "command": command,
        "time": time.time(),
        "sender": f"{_user()}@{socket.gethostname()}",
    }
    if command == "interject":
        record["text"] = text
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    if len(line) > MAX_LINE_BYTES:
        raise ControlRefused(f"the message is too long ({len(line)} bytes; at most {MAX_LINE_BYTES})")
    fd = os.open(folder / CONTROL_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line)
    finally:
        os.close(fd)
    return record


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return str(os.getuid())


class ControlReader:
    """The commands appended to a control file since the last call (a torn last line waits)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""

    def poll(self) -> list[dict[str, Any]]:
        try:
            with self.path.open("rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return []
        self._offset += len(data)
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        commands = []
        for raw in lines:
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("command") in COMMANDS:
                commands.append(record)
        return commands


class FileControl:
    """A session controller fed by ``control.jsonl``; wraps the front end's own controller, if any.

    A background thread reads the file, so a ``resume`` or ``stop`` reaches an episode that is waiting
    in :meth:`review`. When the inner controller has switches of its own (the workbench's
    ``LiveControl``), commands go to those, so the screen shows them; otherwise this class holds the
    episode itself.
    """

    def __init__(self, folder: Path, agent: object, inner: Any = None) -> None:
        self.reader = ControlReader(folder / CONTROL_FILE)
        self.agent = agent
        self.inner = inner
        self.bus: EventBus | None = None
        self.request_stop: Callable[[], None] | None = None
        self._cond = threading.Condition()
        self.paused = False
        self.stopping = False
        self._pending: list[dict[str, Any]] = []
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    # -- wiring --------------------------------------------------------------------------------
    def attach(self, bus: EventBus, request_stop: Callable[[], None]) -> None:
        """Start reading; ``request_stop`` ends the episode before its next step."""
        self.bus = bus
        self.request_stop = request_stop
        self._thread = threading.Thread(target=self._watch, name="control-file", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _watch(self) -> None:
        while not self._closed.wait(POLL_SECONDS):
            for record in self.reader.poll():
                self._apply(record)

    # -- applying commands ---------------------------------------------------------------------
    def _note(self, record: dict[str, Any], action: str, **data: Any) -> None:
        if self.bus is not None:
            self.bus.publish(
                EventKind.INTERVENTION, action=action, via="control", id=record.get("id"),
                sender=record.get("sender"), **data,
            )

    def _apply(self, record: dict[str, Any]) -> None:
        command = record["command"]
        inner = self.inner
        if command == "interject":
            self._interject(record)
            return
        if inner is not None and callable(getattr(inner, command, None)):
            # The front end's switches publish their own intervention; record which command moved them.
            self._note(record, "control", command=command)
            getattr(inner, command)()
            return
        with self._cond:
            if command == "pause" and not self.paused:
                self.paused = True
                self._note(record, "pause")
            elif command == "resume" and self.paused:
                self.paused = False
                self._note(record, "resume")
            elif command == "stop" and not self.stopping:
                self.stopping = True
                self._note(record, "stop", reason="stopped through control.jsonl")
                if self.request_stop is not None:
                    self.request_stop()
            else:
                self._note(record, "control_ignored", command=command,
                           reason="paused already" if command == "pause" else
                           "not paused" if command == "resume" else "stopping already")
            self._cond.notify_all()

    def _interject(self, record: dict[str, Any]) -> None:
        text = str(record.get("text") or "")
        inner_interject = getattr(self.inner, "interject", None) if self.inner is not None else None
        if callable(inner_interject):
            if inner_interject(text) is False:
                self._note(record, "control_refused", command="interject",
                           reason="this agent cannot take a message")
            return
        interject = getattr(self.agent, "interject", None)
        if not callable(interject) or not getattr(self.agent, "can_interject", True):
            self._note(record, "control_refused", command="interject", reason="this agent cannot take a message")
            return
        interject(text)
        self._note(record, "interject", text=text)

    # -- the session's hook ----------------------------------------------------------------------
    def review(self, step: AgentStep, bus: EventBus) -> AgentStep | None:
        """Hold the proposal while paused; end the episode when stopped; then ask the inner controller."""
        for record in self.reader.poll():  # commands sent since the watcher's last look
            self._apply(record)
        with self._cond:
            while self.paused and not self.stopping and not self._closed.is_set():
                self._cond.wait(POLL_SECONDS)
            if self.stopping:
                raise UserStopped("stopped through control.jsonl")
        if self.inner is not None:
            return self.inner.review(step, bus)
        return step


def wait_for_ack(folder: Path, command_id: str, timeout: float) -> dict[str, Any] | None:
    """The intervention event that answered command ``command_id``, once it is in the trajectory."""
    deadline = time.monotonic() + timeout
    path = folder / TRAJECTORY_FILE
    offset = 0
    while True:
        with contextlib.suppress(OSError), path.open("rb") as f:
            f.seek(offset)
            data = f.read()
            cut = data.rfind(b"\n") + 1
            offset += cut
            for raw in data[:cut].splitlines():
                if command_id.encode() not in raw:
                    continue
                with contextlib.suppress(ValueError):
                    event = json.loads(raw)
                    if event.get("kind") == "intervention" and event.get("id") == command_id:
                        return event
        if time.monotonic() >= deadline or episode_finished(folder):
            return None
        time.sleep(0.1)
