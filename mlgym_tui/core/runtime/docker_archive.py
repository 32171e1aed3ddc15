"""Copying out of a container: Docker's archive stream, extracted as it arrives.

``get_archive`` sends a tar stream in which a sparse file is all of its zeros. The stream is read once,
member by member, and each file written with :func:`.sparse_copy.write_sparse`, straight to its place:
no spooled archive and no staging copy (the three together made a 4 GB sparse file take 12 GB of host
disk). What the agent made cannot write outside the destination: names that are absolute or climb
with ``..``, links that lead out of the copy, and devices and fifos are skipped (the ``data`` filter of
:mod:`tarfile`, and every write checked against where the destination really is).
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import posixpath
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from mlgym_tui.core.runtime.sparse_copy import write_sparse


class ChunkReader(io.RawIOBase):
    """A readable file over an iterator of byte chunks (the Docker SDK's stream)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def extract_stream(chunks: Iterable[bytes], top: str, dest: Path) -> None:
    """Extract the archive of a container path named ``top`` so that it lands at ``dest`` (merged
    into what is there, as ``copytree(dirs_exist_ok=True)``)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    reader = io.BufferedReader(ChunkReader(chunks), buffer_size=1 << 20)
    with tarfile.open(fileobj=reader, mode="r|") as tar:
        for member in tar:
            name = posixpath.normpath(member.name)
            if name != top and not name.startswith(top + "/"):
                continue
            member.name = dest.name + name[len(top) :]
            if member.islnk():
                linked = posixpath.normpath(member.linkname)
                if not linked.startswith(top + "/"):
                    continue
                member.linkname = dest.name + linked[len(top) :]
            safe = _vet(member, dest)
            if safe is None:
                continue
            target = dest.parent / safe.name
            if not _inside(target.parent, dest, allow_parent=target == dest):
                continue
            if safe.isdir():
                target.mkdir(exist_ok=True)
                continue
            with contextlib.suppress(FileNotFoundError):
                if target.is_symlink() or not target.is_dir():
                    target.unlink()
            if safe.issym():
                if _inside(target.parent / safe.linkname, dest):
                    os.symlink(safe.linkname, target)
            elif safe.islnk():
                source = dest.parent / safe.linkname
                if _inside(source, dest) and source.is_file():
                    os.link(source, target, follow_symlinks=False)
            elif safe.isfile():
                data = tar.extractfile(safe)
                assert data is not None
                write_sparse(target, iter(functools.partial(data.read, 1 << 20), b""))
                os.chmod(target, safe.mode & 0o755)


def _vet(member: tarfile.TarInfo, dest: Path) -> tarfile.TarInfo | None:
    """The ``data`` filter's verdict where Python has it (the same rules by hand otherwise)."""
    if hasattr(tarfile, "data_filter"):
        try:
            return tarfile.data_filter(member, str(dest.parent))
        except tarfile.FilterError:
            return None
    parts = Path(member.name).parts
    if member.name.startswith("/") or ".." in parts or not (member.isfile() or member.isdir()):
        return None
    return member


def _inside(path: Path, dest: Path, allow_parent: bool = False) -> bool:
    """Whether ``path``, links resolved as they are now on disk, lies in ``dest``."""
    real, root = os.path.realpath(path), os.path.realpath(dest)
    if allow_parent and real == os.path.dirname(root):
        return True
    return real == root or real.startswith(root + os.sep)
