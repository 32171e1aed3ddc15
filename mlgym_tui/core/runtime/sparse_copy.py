"""Host copies of the agent's files that take no more disk than the data in them.

A sparse file (``truncate -s 8G big``) takes almost nothing in the sandbox but reads as gigabytes of
zeros; written out as read, a 16 KB file took 8 GB of the host's disk (issue #21). Every copy from a
sandbox to the host goes through :func:`write_sparse`, which leaves runs of zeros as holes, so a copy
never takes more host disk than the bytes in it that are not zero: at most what the files take in the
sandbox, which the workspace size limit bounds.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

BLOCK = 64 * 1024
"""Zero runs shorter than this are written; a multiple of every file system's block size."""
_ZEROS = memoryview(bytes(BLOCK))


def write_sparse(path: str | Path, chunks: Iterable[bytes]) -> int:
    """Write ``chunks`` to ``path`` (created or truncated), blocks of zeros as holes; returns the size."""
    size = 0
    with open(path, "wb") as f:
        for chunk in chunks:
            view = memoryview(chunk)
            for start in range(0, len(view), BLOCK):
                block = view[start : start + BLOCK]
                if block == _ZEROS[: len(block)]:
                    f.seek(len(block), os.SEEK_CUR)
                else:
                    f.write(block)
            size += len(view)
        f.truncate(size)
    return size


def copy_sparse(src: str, dst: str) -> str:
    """``shutil.copy2`` that keeps holes (a ``copy_function`` for :func:`shutil.copytree`)."""
    with open(src, "rb") as f:
        write_sparse(dst, iter(lambda: f.read(1 << 20), b""))
    shutil.copystat(src, dst)
    return dst
