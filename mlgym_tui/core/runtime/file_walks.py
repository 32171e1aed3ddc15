"""Reading and measuring what the agent made, on a file system the agent can change at the same time.

One source for both backends: the local backend imports it, and the docker backend sends this very file
as text into each episode container, where it runs as the first part of the supervisor program
(:mod:`.docker_supervisor`). So it imports nothing but the standard library and keeps to syntax the
image's ``python3`` understands.

Links are never followed, a path reached through a linked folder counts as a link, and a read is bounded
by what the caller accepts, not by what the file claims: a file that grows or turns into something else
between the scan and the read is caught by the read itself (``O_NOFOLLOW``, ``fstat`` on the open file,
at most ``max_bytes + 1`` read). Sizes on disk are blocks, so a sparse file counts what it really takes.
"""

from __future__ import annotations

import errno
import os
import stat


def kind_of(mode: int) -> str:
    for test, name in ((stat.S_ISREG, "file"), (stat.S_ISDIR, "dir"), (stat.S_ISLNK, "link"),
                       (stat.S_ISFIFO, "fifo"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "device"),
                       (stat.S_ISBLK, "device")):
        if test(mode):
            return name
    return "other"


def _entry(rel: str, st: os.stat_result) -> list:
    return [rel, kind_of(st.st_mode), st.st_size, st.st_blocks * 512]


def scan_entries(path: str) -> list:
    """``[relative path, kind, size, bytes on disk]`` for ``path`` and everything under it (itself
    first, as ``""``); see :meth:`Runtime.scan`."""
    st = os.lstat(path)
    norm = os.path.normpath(os.path.abspath(path))
    if os.path.realpath(norm) != norm and not stat.S_ISLNK(st.st_mode):
        return [["", "link", st.st_size, 0]]  # reached through a linked folder
    entries = [_entry("", st)]
    if not stat.S_ISDIR(st.st_mode):
        return entries
    for root, dirs, files in os.walk(path, followlinks=False):
        for name in sorted(dirs) + sorted(files):
            full = os.path.join(root, name)
            try:
                entries.append(_entry(os.path.relpath(full, path), os.lstat(full)))
            except OSError:
                continue
    return entries


def read_regular(path: str, max_bytes: int) -> bytes:
    """See :meth:`Runtime.read_regular`."""
    norm = os.path.normpath(os.path.abspath(path))
    if os.path.realpath(os.path.dirname(norm)) != os.path.dirname(norm):
        raise OSError(errno.ELOOP, "reached through a link", path)
    fd = os.open(norm, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, f"not a regular file ({kind_of(st.st_mode)})", path)
        if st.st_size > max_bytes:
            raise OSError(errno.EFBIG, f"larger than {max_bytes} bytes", path)
        chunks, total = [], 0
        while total <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise OSError(errno.EFBIG, f"larger than {max_bytes} bytes", path)
        return b"".join(chunks)
    finally:
        os.close(fd)


def disk_usage(
    roots: list, seen: set | None = None, one_device: bool = False, changed_since: float | None = None
) -> int:
    """Bytes on disk under ``roots`` (files or folders; links not followed, each inode counted once,
    across calls that share ``seen``). With ``one_device``, file systems mounted below a root are left
    to be measured on their own (as ``du -x``); with ``changed_since``, only what was made or changed
    (status change time) since then counts."""
    seen = set() if seen is None else seen
    since = float("-inf") if changed_since is None else changed_since
    total = 0
    stack = []
    for root in roots:
        try:
            st = os.lstat(root)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) not in seen:
            seen.add((st.st_dev, st.st_ino))
            total += st.st_blocks * 512 if st.st_ctime >= since else 0
            if stat.S_ISDIR(st.st_mode):
                stack.append((str(root), st.st_dev))
    while stack:
        path, device = stack.pop()
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if one_device and st.st_dev != device:
                        continue
                    key = (st.st_dev, st.st_ino)
                    if key in seen:
                        continue
                    seen.add(key)
                    total += st.st_blocks * 512 if st.st_ctime >= since else 0
                    if stat.S_ISDIR(st.st_mode):
                        stack.append((entry.path, device))
        except OSError:
            continue
    return total


def deleted_open_files(pids: list, seen: set) -> int:
    """Bytes on disk held by files that processes ``pids`` keep open after deleting them (``exec 3>f;
    rm f; yes >&3`` fills the disk where no walk sees it); each inode once, sharing ``seen``."""
    total = 0
    for pid in pids:
        folder = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(folder)
        except OSError:
            continue
        for fd in fds:
            try:
                st = os.stat(os.path.join(folder, fd))
            except OSError:
                continue
            key = (st.st_dev, st.st_ino)
            if st.st_nlink == 0 and stat.S_ISREG(st.st_mode) and key not in seen:
                seen.add(key)
                total += st.st_blocks * 512
    return total
