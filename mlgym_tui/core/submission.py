"""Taking files out of the sandbox as data: the submission's private copy and the run folder's copy.

Both read through :meth:`Runtime.scan` and :meth:`Runtime.read_regular`, which never follow links and
never read more than they were allowed to, so what is copied is bounded by a byte budget whatever the
agent left in the workspace (a link to the labels, a fifo, a 4 GB sparse file, a file that grows while
it is read). The submission is refused as a whole with a clear reason; the run folder's copy skips what
does not fit and lists it in a manifest.
"""

from __future__ import annotations

import json
import os
import posixpath
from dataclasses import asdict, dataclass
from pathlib import Path

from mlgym_tui.core.runtime.base import FileEntry, Runtime
from mlgym_tui.core.runtime.sparse_copy import write_sparse

MANIFEST = "workspace.manifest.json"
"""Beside the run folder's ``workspace/``: everything of the workspace that was not copied, and why."""


class SubmissionRejected(Exception):
    """The submission is not plain data within the task's size limit; the message says why."""


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


def _describe(entry: FileEntry) -> str:
    return {
        "link": "a symbolic link (or reached through one)",
        "fifo": "a named pipe",
        "socket": "a socket",
        "device": "a device file",
    }.get(entry.kind, f"not a regular file ({entry.kind})")


def copy_submission(runtime: Runtime, paths: list[str], dest: Path, limit: int) -> list[str]:
    """Copy the declared submission ``paths`` (workspace-relative files or folders) into ``dest``.

    Returns the paths that do not exist (the judge reports those in its own words). Raises
    SubmissionRejected for anything that is not a regular file or folder, and when the files together
    exceed ``limit`` bytes, apparent or on disk.
    """
    missing: list[str] = []
    plan: list[str] = []
    apparent = disk = 0
    for rel in paths:
        full = posixpath.join(runtime.workspace, rel)
        try:
            entries = runtime.scan(full)
        except FileNotFoundError:
            missing.append(rel)
            continue
        for entry in entries:
            name = posixpath.join(rel, entry.path) if entry.path else rel
            if entry.kind not in ("file", "dir"):
                raise SubmissionRejected(
                    f"{name} is {_describe(entry)}; a submission must be regular files and folders"
                )
            if entry.kind == "file":
                apparent += entry.size
                disk += entry.disk
                plan.append(name)
    if apparent > limit or disk > limit:
        raise SubmissionRejected(
            f"the submission is {human_bytes(apparent)} ({human_bytes(disk)} on disk); this task accepts at "
            f"most {human_bytes(limit)}"
        )
    budget = limit
    for rel in paths:
        if rel not in missing:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
    for name in plan:
        try:
            data = runtime.read_regular(posixpath.join(runtime.workspace, name), budget)
        except OSError as exc:
            raise SubmissionRejected(f"{name} could not be read as a regular file: {exc.strerror or exc}") from exc
        budget -= len(data)
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        write_sparse(target, [data])
    for rel in paths:  # empty folders the judge may look for
        if rel not in missing and not (dest / rel).exists():
            (dest / rel).mkdir(parents=True, exist_ok=True)
    return missing


@dataclass(frozen=True)
class Skipped:
    path: str
    kind: str
    size: int
    disk: int
    reason: str


def export_workspace(
    runtime: Runtime,
    dest: Path,
    first: list[str],
    skip: list[str],
    budget: int,
    max_file_bytes: int,
) -> list[Skipped]:
    """Copy the workspace's regular files into ``dest``: the ``first`` paths (the submission), then the
    rest, each file only while the total stays within ``budget`` bytes and (outside ``first``) files of
    at most ``max_file_bytes``. ``skip`` paths (the public data) are left out silently. Returns what was
    not copied. Never writes more than ``budget`` bytes, whatever sizes the files claim."""
    entries = runtime.scan(runtime.workspace)
    norm_first = [posixpath.normpath(p) for p in first]
    norm_skip = [posixpath.normpath(p) for p in skip]

    def under(path: str, roots: list[str]) -> bool:
        return any(path == r or path.startswith(r + "/") for r in roots)

    ordered = sorted(
        (e for e in entries if e.path and not under(e.path, norm_skip)),
        key=lambda e: (not under(e.path, norm_first), e.path),
    )
    skipped: list[Skipped] = []
    remaining = budget
    for entry in ordered:
        target = dest / entry.path
        if entry.kind == "dir":
            target.mkdir(parents=True, exist_ok=True)
            continue
        if entry.kind != "file":
            skipped.append(Skipped(entry.path, entry.kind, entry.size, entry.disk, _describe(entry)))
            continue
        if not under(entry.path, norm_first) and entry.size > max_file_bytes:
            skipped.append(Skipped(entry.path, entry.kind, entry.size, entry.disk,
                                   f"larger than {human_bytes(max_file_bytes)} and not part of the submission"))
            continue
        if entry.size > remaining:
            skipped.append(Skipped(entry.path, entry.kind, entry.size, entry.disk,
                                   f"over the task's size limit of {human_bytes(budget)} for the run folder"))
            continue
        try:
            data = runtime.read_regular(posixpath.join(runtime.workspace, entry.path), remaining)
        except OSError as exc:
            skipped.append(Skipped(entry.path, entry.kind, entry.size, entry.disk,
                                   f"not copied: {exc.strerror or exc}"))
            continue
        remaining -= len(data)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_sparse(target, [data])
    return skipped


def write_manifest(path: Path, skipped: list[Skipped], budget: int) -> None:
    """The manifest of what the run folder's workspace copy left out (always written, maybe empty)."""
    doc = {"limit_bytes": budget, "not_copied": [asdict(s) for s in skipped]}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    os.replace(tmp, path)
