"""The trusted side's file API on the local backend, confined to what the sandbox shows.

Tools (``open``, ``edit``, ``create`` …) read and write workspace files from the host process, which may
run as root. A path the agent names is therefore resolved the way the sandbox would resolve it: component
by component through the :class:`~.sandbox.MountTable`, following symlinks in sandbox coordinates (a link
to ``/root/.ssh/id_rsa`` names a file the sandbox does not have), so the host never touches a file the
shell could not. Writes need a writable mount (the workspace, the sandbox's ``/tmp``): anything else is
``PermissionError`` (read-only file system), as inside. Files are opened without following a last
symlink and checked, once open, to lie below their mount, so a link swapped in meanwhile by a background
process cannot redirect a read or a write; at worst such a race leaves an empty folder.
"""

from __future__ import annotations

import errno
import os
import posixpath
import shutil
import stat
from pathlib import Path

from mlgym_tui.core.runtime.sandbox import Mount, MountTable
from mlgym_tui.core.runtime.sparse_copy import copy_sparse, write_sparse

MAX_SYMLINKS = 40


class SandboxFiles:
    """Read, write and copy files by their path inside the sandbox."""

    def __init__(self, table: MountTable) -> None:
        self.table = table

    # -- resolution ----------------------------------------------------------------------------
    def resolve(self, path: str, cwd: str, *, follow_last: bool = True) -> tuple[Mount, str]:
        """The mount and host path of sandbox ``path``; a missing tail is kept as written.

        Raises FileNotFoundError for paths the sandbox does not have, OSError(ELOOP) for link loops.
        """
        start = path if path.startswith("/") else posixpath.join(cwd, path)
        pending = [p for p in start.split("/") if p]
        current = "/"
        hops = 0
        missing = False
        while pending:
            name = pending.pop(0)
            if name == ".":
                continue
            if name == "..":
                current = posixpath.dirname(current) if current != "/" else "/"
                continue
            candidate = posixpath.join(current, name)
            if missing or (not pending and not follow_last):
                current = candidate
                continue
            target = self._link_target(candidate)
            if target is _MISSING:
                missing = True
                current = candidate
                continue
            if target is None:
                current = candidate
                continue
            hops += 1
            if hops > MAX_SYMLINKS:
                raise OSError(errno.ELOOP, "Too many levels of symbolic links", path)
            assert isinstance(target, str)
            if target.startswith("/"):
                current = "/"
            pending[:0] = [p for p in target.split("/") if p]
        found = self.table.lookup(current)
        if found is None or found[0].host is None:
            if self._is_mount_parent(current):
                raise IsADirectoryError(errno.EISDIR, "Is a directory (outside the workspace)", path)
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        mount, rest = found
        assert mount.host is not None
        host = posixpath.join(mount.host, rest) if rest else mount.host
        return mount, host

    def lexical(self, path: str, cwd: str) -> str:
        """The host path of sandbox ``path`` without following any link (callers that must not follow
        links, such as bounded copy-out, check every component themselves)."""
        inside = posixpath.normpath(path if path.startswith("/") else posixpath.join(cwd, path))
        found = self.table.lookup(inside)
        if found is None or found[0].host is None:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        mount, rest = found
        assert mount.host is not None
        return posixpath.join(mount.host, rest) if rest else mount.host

    def _link_target(self, inside: str) -> str | None | object:
        """The symlink target at sandbox path ``inside``; None if not a link; _MISSING if absent."""
        if inside in self.table.links:
            return self.table.links[inside]
        found = self.table.lookup(inside)
        if found is None or found[0].host is None:
            return None if self._is_mount_parent(inside) else _MISSING
        mount, rest = found
        assert mount.host is not None
        host = posixpath.join(mount.host, rest) if rest else mount.host
        try:
            st = os.lstat(host)
        except FileNotFoundError:
            return _MISSING
        except NotADirectoryError:
            return _MISSING
        if rest and stat.S_ISLNK(st.st_mode):
            return os.readlink(host)
        return None

    def _is_mount_parent(self, inside: str) -> bool:
        prefix = inside.rstrip("/") + "/"
        return inside == "/" or any(m.inside.startswith(prefix) for m in self.table.mounts) or any(
            link.startswith(prefix) for link in self.table.links
        )

    def _check_open(self, fd: int, mount: Mount, path: str) -> None:
        """The open file must lie below its mount (a link swapped in after resolving would not)."""
        assert mount.host is not None
        real = os.readlink(f"/proc/self/fd/{fd}")
        root = os.path.realpath(mount.host)
        if real != root and not real.startswith(root.rstrip("/") + "/"):
            os.close(fd)
            raise PermissionError(errno.EACCES, "Permission denied (the path changed while opening it)", path)

    def _writable(self, path: str, cwd: str) -> tuple[Mount, str]:
        mount, host = self.resolve(path, cwd)
        if not mount.writable:
            raise OSError(errno.EROFS, "Read-only file system", path)
        return mount, host

    # -- the file API --------------------------------------------------------------------------
    def read(self, path: str, cwd: str) -> bytes:
        mount, host = self.resolve(path, cwd)
        fd = os.open(host, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        self._check_open(fd, mount, path)
        with os.fdopen(fd, "rb") as f:
            if stat.S_ISDIR(os.fstat(f.fileno()).st_mode):
                raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
            return f.read()

    def write(self, path: str, data: bytes, cwd: str) -> None:
        mount, host = self._writable(path, cwd)
        parent = posixpath.dirname(host)
        os.makedirs(parent, exist_ok=True)
        fd = os.open(host, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        self._check_open(fd, mount, path)
        with os.fdopen(fd, "wb") as f:
            f.truncate(0)
            f.write(data)

    def exists(self, path: str, cwd: str) -> bool:
        try:
            _mount, host = self.resolve(path, cwd)
        except IsADirectoryError:
            return True
        except OSError:
            return False
        return os.path.lexists(host)

    def copy_in(self, host_path: Path, path: str, cwd: str) -> None:
        """Copy a trusted host file or folder to sandbox ``path`` (links inside are copied as links)."""
        _mount, host = self._writable(path, cwd)
        dst = Path(host)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if host_path.is_dir():
            shutil.copytree(host_path, dst, dirs_exist_ok=True, symlinks=True)
        else:
            shutil.copy2(host_path, dst)

    def copy_out(self, path: str, host_path: Path, cwd: str) -> None:
        """Copy sandbox ``path`` out; links inside a folder stay links, a file is read through the checks."""
        mount, host = self.resolve(path, cwd)
        host_path.parent.mkdir(parents=True, exist_ok=True)
        if os.path.isdir(host) and not os.path.islink(host):
            shutil.copytree(host, host_path, dirs_exist_ok=True, symlinks=True, copy_function=copy_sparse)
        else:
            write_sparse(host_path, [self.read(path, cwd)])


_MISSING = object()
