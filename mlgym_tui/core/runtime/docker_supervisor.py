"""The runtime's helper inside each episode container: process control and the file API.

A small Python program runs as root in the container for the whole episode, attached over one exec
socket (see :mod:`mlgym_tui.core.runtime.docker_exec`). It answers, in about a millisecond:

- process control for the agent's shell — list a session's process groups, kill groups, signal the
  shell, kill a whole session — by reading ``/proc`` in the container. It needs no new process, so it
  keeps working when a fork bomb has used up the pids limit (where ``docker exec`` cannot start one);
- the file API, done with the *agent's* effective uid and gid, so the editor tools can neither read nor
  write anything the agent's shell could not (a protected evaluation script stays unwritable even
  through ``edit``);
- ``protect``: hand read-only workspace files to root (mode 0444) inside root-owned sticky folders, so
  the agent can neither change nor replace them.

Wire format, both ways: one JSON line, then ``size`` bytes of payload where the header says so.
"""

from __future__ import annotations

import errno as errno_codes
import json
import threading
from typing import Any

from mlgym_tui.core.errors import SandboxError
from mlgym_tui.core.runtime.docker_exec import ExecStream

SUPERVISOR_SOURCE = r'''
import contextlib, json, os, pwd, signal, stat, sys

AGENT = pwd.getpwnam(sys.argv[1])
UID, GID = AGENT.pw_uid, AGENT.pw_gid
os.setgroups([GID])
os.umask(0o022)
IN, OUT = sys.stdin.buffer, sys.stdout.buffer


@contextlib.contextmanager
def as_agent():
    os.setegid(GID)
    os.seteuid(UID)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


def processes():
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                data = f.read()
        except OSError:
            continue
        fields = data[data.rfind(b")") + 2:].split()
        yield int(name), int(fields[2]), int(fields[3])  # pid, pgrp, session


def in_session(sid):
    return [(pid, pgrp) for pid, pgrp, session in processes() if session == sid]


def op_hello(req):
    return {"uid": UID, "gid": GID, "home": AGENT.pw_dir, "pid": os.getpid()}, b""


def op_groups(req):
    sid = req["sid"]
    return {"groups": sorted({pgrp for _, pgrp in in_session(sid)} - {sid})}, b""


def op_kill(req):
    for pgid in req["pgids"]:
        with contextlib.suppress(OSError):
            os.killpg(pgid, signal.SIGKILL)
    return {}, b""


def op_signal(req):
    with contextlib.suppress(OSError):
        os.kill(req["pid"], req["sig"])
    return {}, b""


def op_kill_session(req):
    # Stop everything first so nothing forks while it is being killed (a fork bomb), then kill.
    for rounds in range(200):
        members = [pid for pid, _ in in_session(req["sid"])]
        if not members:
            return {"rounds": rounds}, b""
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for pid in members:
                with contextlib.suppress(OSError):
                    os.kill(pid, sig)
    return {"rounds": -1}, b""


def op_read(req):
    with as_agent(), open(req["path"], "rb") as f:
        return {}, f.read()


def op_write(req, payload):
    with as_agent():
        folder = os.path.dirname(req["path"])
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(req["path"], "wb") as f:
            f.write(payload)
    return {}, b""


def op_exists(req):
    with as_agent():
        return {"exists": os.path.exists(req["path"])}, b""


def op_mkdirs(req):
    with as_agent():
        os.makedirs(req["path"], exist_ok=True)
    return {}, b""


def op_protect(req):
    base = req["base"].rstrip("/")
    for path in req["paths"]:
        if not os.path.lexists(path):
            continue
        for root, dirs, files in os.walk(path) if os.path.isdir(path) else [(None, [], [])]:
            for name in files + dirs:
                full = os.path.join(root, name)
                os.lchown(full, 0, 0)
                if not os.path.islink(full):
                    os.chmod(full, 0o555 if os.path.isdir(full) else 0o444)
        os.lchown(path, 0, 0)
        if not os.path.islink(path):
            mode = stat.S_IMODE(os.stat(path).st_mode)
            os.chmod(path, 0o555 if os.path.isdir(path) else (0o555 if mode & 0o111 else 0o444))
        folder = os.path.dirname(path)
        while folder.startswith(base) and len(folder) >= len(base):
            os.chown(folder, 0, 0)
            os.chmod(folder, 0o1777)
            if folder == base:
                break
            folder = os.path.dirname(folder)
    return {}, b""


def kind_of(mode):
    for test, name in ((stat.S_ISREG, "file"), (stat.S_ISDIR, "dir"), (stat.S_ISLNK, "link"),
                       (stat.S_ISFIFO, "fifo"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "device"),
                       (stat.S_ISBLK, "device")):
        if test(mode):
            return name
    return "other"


def entry(rel, st):
    return [rel, kind_of(st.st_mode), st.st_size, st.st_blocks * 512]


def op_scan(req):
    path = os.path.normpath(req["path"])
    with as_agent():
        st = os.lstat(path)
        if os.path.realpath(path) != path and not stat.S_ISLNK(st.st_mode):
            return {"entries": [["", "link", st.st_size, 0]]}, b""
        entries = [entry("", st)]
        if stat.S_ISDIR(st.st_mode):
            for root, dirs, files in os.walk(path, followlinks=False):
                for name in sorted(dirs) + sorted(files):
                    full = os.path.join(root, name)
                    try:
                        entries.append(entry(os.path.relpath(full, path), os.lstat(full)))
                    except OSError:
                        continue
    return {"entries": entries}, b""


def op_read_regular(req):
    path, limit = os.path.normpath(req["path"]), int(req["max_bytes"])
    with as_agent():
        if os.path.realpath(os.path.dirname(path)) != os.path.dirname(path):
            raise OSError(40, "reached through a link")
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(22, "not a regular file (%s)" % kind_of(st.st_mode))
        if st.st_size > limit:
            raise OSError(27, "larger than %d bytes" % limit)
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise OSError(27, "larger than %d bytes" % limit)
        return {}, b"".join(chunks)
    finally:
        os.close(fd)


OPS = {name[3:]: fn for name, fn in globals().items() if name.startswith("op_")}

while True:
    line = IN.readline()
    if not line:
        break
    req = json.loads(line)
    payload = IN.read(req.get("size", 0)) if req.get("size") else b""
    try:
        fn = OPS[req["op"]]
        head, data = fn(req, payload) if req["op"] == "write" else fn(req)
        head["ok"] = True
    except OSError as exc:
        head, data = {"ok": False, "errno": exc.errno or 0, "error": exc.strerror or str(exc)}, b""
    except Exception as exc:
        head, data = {"ok": False, "errno": 0, "error": "%s: %s" % (type(exc).__name__, exc)}, b""
    head["size"] = len(data)
    OUT.write(json.dumps(head).encode() + b"\n" + data)
    OUT.flush()
'''


class Supervisor:
    """Host side of the supervisor: one request at a time (a lock serialises threads)."""

    def __init__(self, api: Any, container_id: str, agent_user: str, python: str = "python3") -> None:
        self.stream = ExecStream(
            api,
            container_id,
            [python, "-I", "-u", "-c", SUPERVISOR_SOURCE, agent_user],
            user="root",
            merge_stderr=False,
        )
        self._lock = threading.Lock()
        hello = self.call("hello", timeout=30)
        self.uid: int = hello["uid"]
        self.gid: int = hello["gid"]
        self.home: str = hello["home"]

    def call(self, op: str, payload: bytes = b"", timeout: float = 60, **args: Any) -> dict[str, Any]:
        """Run one operation; OSErrors inside come back as the matching OSError subclass."""
        head, _ = self.call_with_data(op, payload, timeout, **args)
        return head

    def call_with_data(
        self, op: str, payload: bytes = b"", timeout: float = 60, **args: Any
    ) -> tuple[dict[str, Any], bytes]:
        request = {"op": op, **args}
        if payload:
            request["size"] = len(payload)
        with self._lock:
            self.stream.send(json.dumps(request).encode() + b"\n" + payload)
            head = json.loads(self.stream.recv_line(timeout))
            data = self.stream.recv_exactly(head.get("size", 0), timeout) if head.get("size") else b""
        if not head.get("ok"):
            code = head.get("errno") or 0
            if code:
                raise OSError(code, head.get("error", errno_codes.errorcode.get(code, "error")), args.get("path"))
            raise SandboxError(f"sandbox supervisor failed on {op}: {head.get('error')}")
        return head, data

    def close(self) -> None:
        self.stream.close()
