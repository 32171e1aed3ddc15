"""The local backend's sandbox: what an episode's processes may see, as one mount table, run by bubblewrap.

Every process the local backend starts for agent code (the persistent shell, searches, sandboxed players)
runs under ``bwrap`` with its own PID, IPC and network namespaces, no capabilities, a clean environment,
``/proc`` of its own PID namespace only, and a file system made of the entries of one
:class:`MountTable`: the system and the task's Python environment read-only, the workspace and a private
``/tmp`` read-write, the task's read-only files bound read-only over the workspace, secrets under ``/etc``
masked, and nothing else — no home folder, no cache (so no private data, no other task's venv), no run
folder, no ``/run`` (so no Docker socket). The same table answers the trusted side's file API
(:mod:`.sandbox_files`), so a path means the same file to a tool as to the shell.

bubblewrap works as root (it then drops every capability, and the read-only binds stay read-only even for
uid 0) and as an ordinary user where the kernel allows unprivileged user namespaces. Where it cannot run,
:func:`probe` says why once per process and the backend falls back to an unconfined shell
(``sandbox: none`` in the result).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

BWRAP = "bwrap"
ROOT_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
"""Top-level folders that merged-/usr systems make symlinks into /usr (recreated as links, else bound)."""
SYSTEM_DIRS = ("/usr", "/etc")
MASKED_FILES = ("/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers")
MASKED_DIRS = ("/etc/ssh", "/etc/sudoers.d", "/etc/ssl/private")
"""Under the read-only /etc: files a process running as uid 0 could still read by owner permission."""
EXTRA_READ_ONLY = ("/sys/devices/system/cpu",)
"""What numerical libraries read to count CPUs."""
GPU_DEVICES = ("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset", "/dev/dri")


@dataclass(frozen=True)
class Mount:
    """One path of the sandbox: ``inside`` shows the host's ``host`` (``None``: hidden, an empty place;
    ``""``: a fresh writable tmpfs of its own)."""

    inside: str
    host: str | None
    writable: bool = False


@dataclass
class MountTable:
    """The sandbox's file system; later entries lie over earlier ones (as bwrap applies them)."""

    mounts: list[Mount] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)
    """Symlinks at the top level (``/bin -> usr/bin``)."""

    def add(self, inside: str | Path, host: str | Path | None, writable: bool = False) -> None:
        self.mounts.append(Mount(str(inside), None if host is None else str(host), writable))

    def lookup(self, inside: str) -> tuple[Mount, str] | None:
        """The mount that shows absolute, normalised ``inside``, and the rest of the path below it."""
        for mount in reversed(self.mounts):
            if inside == mount.inside:
                return mount, ""
            prefix = mount.inside.rstrip("/") + "/"
            if inside.startswith(prefix):
                return mount, inside[len(prefix) :]
        return None


def system_table(extra_read_only: Sequence[Path] = ()) -> MountTable:
    """System folders read-only, /etc's secrets masked, plus ``extra_read_only`` host folders at the
    same path (the task's venv, the interpreter it links to)."""
    table = MountTable()
    for name in ROOT_LINKS:
        path = Path("/") / name
        if path.is_symlink():
            table.links[str(path)] = os.readlink(path)
        elif path.is_dir():
            table.add(path, path)
    for folder in SYSTEM_DIRS:
        if Path(folder).is_dir():
            table.add(folder, folder)
    for folder in extra_read_only:
        resolved = folder.resolve()
        if resolved.is_dir() and not any(_below(str(resolved), m.inside) for m in table.mounts):
            table.add(resolved, resolved)
    for path in (*EXTRA_READ_ONLY,):
        if Path(path).is_dir():
            table.add(path, path)
    for path in MASKED_FILES + MASKED_DIRS:
        if os.path.lexists(path):
            table.add(path, None)
    return table


def _below(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def bwrap_argv(table: MountTable, *, network: bool, cwd: str, gpus: bool = False) -> list[str]:
    """The ``bwrap`` command line (without the command) for ``table``. The caller passes the environment
    it wants the sandbox to have as the process environment: bwrap hands it on unchanged."""
    argv = [
        BWRAP,
        "--die-with-parent",
        "--new-session",
        "--unshare-pid",
        "--as-pid-1",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--cap-drop",
        "ALL",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
    ]
    if not network:
        argv.append("--unshare-net")
    for link, target in table.links.items():
        argv += ["--symlink", target, link]
    for mount in table.mounts:
        if mount.host == "":
            argv += ["--tmpfs", mount.inside]
        elif mount.host is None:
            if Path(mount.inside).is_dir() and not Path(mount.inside).is_symlink():
                argv += ["--tmpfs", mount.inside, "--remount-ro", mount.inside]
            else:
                argv += ["--ro-bind", "/dev/null", mount.inside]
        else:
            argv += ["--bind" if mount.writable else "--ro-bind", mount.host, mount.inside]
    if gpus:
        for device in GPU_DEVICES:
            argv += ["--dev-bind-try", device, device]
        for index in range(16):
            argv += ["--dev-bind-try", f"/dev/nvidia{index}", f"/dev/nvidia{index}"]
    argv += ["--chdir", cwd]
    return argv


@dataclass(frozen=True)
class Probe:
    """Whether bubblewrap can run here, and if not, why (one line)."""

    available: bool
    reason: str = ""


@functools.cache
def probe() -> Probe:
    """Try bubblewrap once per process with the namespaces an episode needs."""
    if os.environ.get("MLGYM_SANDBOX", "").lower() == "none":
        return Probe(False, "the sandbox is turned off (MLGYM_SANDBOX=none)")
    if shutil.which(BWRAP) is None:
        return Probe(False, "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)")
    table = system_table()
    argv = [*bwrap_argv(table, network=False, cwd="/"), "true"]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Probe(False, f"bubblewrap could not start: {exc}")
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        return Probe(False, f"bubblewrap cannot create namespaces here ({detail}); "
                            "unprivileged user namespaces may be disabled")
    return Probe(True)


def python_prefix(python: Path) -> Path | None:
    """The installation an interpreter (or a venv's interpreter) runs from: what its venv links to."""
    venv_cfg = python.parent.parent / "pyvenv.cfg"
    if venv_cfg.is_file():
        for line in venv_cfg.read_text(errors="replace").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home" and value.strip():
                return Path(value.strip()).resolve().parent
    resolved = python.resolve() if python.exists() else None
    return resolved.parent.parent if resolved is not None else None
