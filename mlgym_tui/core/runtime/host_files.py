"""Reading what the agent made, on a file system the agent can change at the same time.

Used by the local backend for :meth:`Runtime.scan` and :meth:`Runtime.read_regular` (the docker
backend's supervisor does the same inside the container). Links are never followed, a path reached
through a linked folder counts as a link, and a read is bounded by what the caller accepts, not by what
the file claims: a file that grows or turns into something else between the scan and the read is
caught by the read itself (``O_NOFOLLOW``, ``fstat`` on the open file, at most ``max_bytes + 1`` read).
"""

from __future__ import annotations

import errno
import os
import stat

from mlgym_tui.core.runtime.base import FileEntry


def kind_of(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "other"


def _entry(rel: str, st: os.stat_result) -> FileEntry:
    return FileEntry(rel, kind_of(st.st_mode), st.st_size, getattr(st, "st_blocks", 0) * 512)


def scan_tree(path: str) -> list[FileEntry]:
    """See :meth:`Runtime.scan`."""
    st = os.lstat(path)
    norm = os.path.normpath(os.path.abspath(path))
    if os.path.realpath(norm) != norm and not stat.S_ISLNK(st.st_mode):
        return [FileEntry("", "link", st.st_size, 0)]  # reached through a linked folder
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
