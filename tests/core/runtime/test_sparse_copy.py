"""Copies to the host keep holes, and an archive from a container is extracted as it streams, without
writing outside its destination (no daemon needed: the archive is made here)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from mlgym_tui.core.runtime.docker_archive import extract_stream
from mlgym_tui.core.runtime.sparse_copy import copy_sparse, write_sparse

MB = 1 << 20


def on_disk(path: Path) -> int:
    return path.stat().st_blocks * 512


def test_zeros_become_holes_and_the_bytes_stay(tmp_path: Path) -> None:
    target = tmp_path / "f"
    chunks = [b"head", bytes(16 * MB), b"middle" * 1000, bytes(8 * MB + 3)]
    assert write_sparse(target, chunks) == sum(map(len, chunks))
    assert target.read_bytes() == b"".join(chunks)
    assert on_disk(target) < MB
    copy_sparse(str(target), str(tmp_path / "g"))
    assert (tmp_path / "g").read_bytes() == b"".join(chunks) and on_disk(tmp_path / "g") < MB


def _archive(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> list[bytes]:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    raw = buffer.getvalue()
    return [raw[i : i + 7000] for i in range(0, len(raw), 7000)]  # chunks that cut headers in two


def _info(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, 0o644
    if kind == tarfile.DIRTYPE:
        info.mode = 0o755
    return info


def test_an_archive_streams_to_its_place_sparse_and_confined(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    chunks = _archive([
        (_info("workspace", tarfile.DIRTYPE), None),
        (_info("workspace/big.bin"), bytes(12 * MB)),
        (_info("workspace/data.txt"), b"data\n"),
        (_info("workspace/again.txt", tarfile.LNKTYPE, "workspace/data.txt"), None),
        (_info("workspace/inside", tarfile.SYMTYPE, "data.txt"), None),
        (_info("workspace/abs", tarfile.SYMTYPE, "/etc/passwd"), None),
        (_info("workspace/up", tarfile.SYMTYPE, "../outside"), None),
        (_info("workspace/../outside"), b"escaped\n"),
        (_info("/outside-abs"), b"escaped\n"),
        (_info("workspace/pipe", tarfile.FIFOTYPE), None),
        (_info("other/elsewhere.txt"), b"not asked for\n"),
    ])
    dest = tmp_path / "run" / "copy"
    extract_stream(chunks, "workspace", dest)
    names = sorted(str(p.relative_to(dest)) for p in dest.rglob("*"))
    assert names == ["again.txt", "big.bin", "data.txt", "inside"]
    assert (dest / "big.bin").stat().st_size == 12 * MB and on_disk(dest / "big.bin") < MB
    assert (dest / "again.txt").samefile(dest / "data.txt") and (dest / "inside").read_text() == "data\n"
    assert not outside.exists() and not (tmp_path / "run" / "outside").exists()
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["copy"]


def test_a_single_file_lands_at_the_destination_name(tmp_path: Path) -> None:
    extract_stream(_archive([(_info("result.csv"), b"a,b\n")]), "result.csv", tmp_path / "kept.csv")
    assert (tmp_path / "kept.csv").read_text() == "a,b\n"
