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
  the agent can neither change nor replace them;
- disk measurement for the workspace size limit (:mod:`.docker_disk`): the places on the container's
  own file system the agent can write, bytes on disk under them and on the workspace volume, and
  stopping every process of the agent's.

Listing, bounded reading and measuring are :mod:`.file_walks`, the same source the local backend uses,
sent into the container as the first part of this program.

Wire format, both ways: one JSON line, then ``size`` bytes of payload where the header says so.
"""

from __future__ import annotations

import errno as errno_codes
import json
import threading
from pathlib import Path
from typing import Any

from mlgym_tui.core.errors import SandboxError
from mlgym_tui.core.runtime import file_walks
from mlgym_tui.core.runtime.docker_exec import ExecStream

_OPS_SOURCE = r'''
import contextlib, json, os, pwd, signal, stat, sys, time

AGENT = pwd.getpwnam(sys.argv[1])
UID, GID = AGENT.pw_uid, AGENT.pw_gid
GROUPS = set(os.getgrouplist(AGENT.pw_name, GID))
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


def stop_and_kill(members_now):
    """Kill what ``members_now()`` lists until nothing is left, each round stopping everything first
    so nothing forks while it is being killed (a fork bomb)."""
    for rounds in range(200):
        members = members_now()
        if not members:
            return {"rounds": rounds}, b""
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for pid in members:
                with contextlib.suppress(OSError):
                    os.kill(pid, sig)
    return {"rounds": -1}, b""


def op_kill_session(req):
    return stop_and_kill(lambda: [pid for pid, _ in in_session(req["sid"])])


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


def op_scan(req):
    with as_agent():
        return {"entries": scan_entries(os.path.normpath(req["path"]))}, b""


def op_read_regular(req):
    with as_agent():
        return {}, read_regular(os.path.normpath(req["path"]), int(req["max_bytes"]))


def agent_may_write(st):
    """Whether the agent can write (or, as its owner, make writable) what ``st`` describes."""
    if st.st_uid == UID:
        return True
    if st.st_gid in GROUPS:
        return bool(st.st_mode & stat.S_IWGRP)
    return bool(st.st_mode & stat.S_IWOTH)


def op_writable(req):
    """The top-most places on the container's own file system (its writable layer) that the agent can
    write or grow: folders like /tmp, /home/agent or an agent-owned venv, and writable files elsewhere."""
    device = os.lstat("/").st_dev
    found, stack = [], ["/"]
    while stack:
        path = stack.pop()
        try:
            with os.scandir(path) as it:
                entries = list(it)
        except OSError:
            continue
        for e in entries:
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            if st.st_dev != device or stat.S_ISLNK(st.st_mode):
                continue
            if agent_may_write(st):
                found.append(e.path)
            elif stat.S_ISDIR(st.st_mode):
                stack.append(e.path)
    return {"roots": sorted(found), "now": time.time()}, b""


def agent_pids():
    """The agent's live processes (any of its uids is the agent's; zombies left out)."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/status" % name) as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            if fields["State"].split()[0] != "Z" and UID in [int(x) for x in fields["Uid"].split()]:
                pids.append(int(name))
        except (OSError, KeyError, ValueError):
            continue
    return pids


def op_usage(req):
    """Bytes on disk: in the ``layer`` places (not crossing mounts) what was made or changed ``since``,
    on the ``volumes`` everything, and in files the agent deleted but keeps open. Measured as root, so
    no folder of the agent's hides any."""
    seen = set()
    layer = disk_usage(req["layer"], seen, one_device=True, changed_since=req["since"])
    volumes = disk_usage(req["volumes"], seen)
    with as_agent():  # /proc/<pid>/fd of another user's process would need CAP_SYS_PTRACE
        held = deleted_open_files(agent_pids(), seen)
    return {"layer": layer, "volumes": volumes, "held": held}, b""


def op_stop_agent(req):
    """Stop and kill every process of the agent's but the ``keep`` ones (fork bombs included)."""
    keep = set(req.get("keep", ()))
    return stop_and_kill(lambda: [pid for pid in agent_pids() if pid not in keep])


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

SUPERVISOR_SOURCE = Path(file_walks.__file__).read_text() + "\n\n" + _OPS_SOURCE
"""The program: the shared file walks (:mod:`.file_walks`, the very rules the local backend uses),
then the operations above."""


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
