"""A person's editor saves: applied to the sandbox as what changed, and kept in the run folder as they go.

A save is recorded as the hunks that changed — ``file_changed`` events with the edit tool's own fields
(``start``, ``end``, ``lines``), applied bottom-up so each hunk's line numbers hold when it is applied —
and one ``save`` intervention holding the hunks as ``edit START:END`` headers and a unified diff. A
replay marks exactly the lines the person changed.

Nothing is written over a file that changed on disk since the editor loaded it (a ``sed`` in the
shell): the save is refused as a ``save_conflict`` and the editor shows both versions. Python files pass
the edit tool's lint gate (:mod:`mlgym_tui.core.tools.lint`: a save may not introduce a syntax error, an
undefined name or broken indentation) or are refused with the person's text kept.

Every saved file, and every unsaved buffer the editor hands over, is also copied into the run folder
(``human/saved/`` and ``human/drafts/``), so a crash of the workbench — or of the machine — never loses
what the person wrote: the trajectory holds every command and the folder holds the files.
"""

from __future__ import annotations

import difflib
import posixpath
from dataclasses import dataclass
from pathlib import Path

from mlgym_tui.agents.human import SaveFile
from mlgym_tui.core.events import EventKind
from mlgym_tui.core.session import Session
from mlgym_tui.core.tools.lint import Finding, introduced

DIFF_LIMIT = 20_000
"""Characters of unified diff kept in a ``save`` event (the hunks' lines are always whole)."""
HUMAN_DIR = "human"
README = """This folder holds what a person wrote in the workbench during a human attempt, kept as they worked:
  saved/   the latest saved version of every file saved from the editor (paths relative to the workspace)
  drafts/  the editor's unsaved text, written every few seconds while it has unsaved changes
The trajectory (../trajectory.jsonl) holds every command, and every save as `file_changed` hunks.
To carry on after a crash, start a new attempt and copy these files into its workspace.
"""


@dataclass(frozen=True)
class Hunk:
    """Lines ``start``..``end`` (1-based, inclusive; ``end = start - 1`` inserts) become ``lines``."""

    start: int
    end: int
    lines: list[str]

    @property
    def header(self) -> str:
        """The hunk as the tool call that makes it: ``edit START:END`` (``insert N`` for pure additions)."""
        return f"insert {self.end}" if self.end < self.start else f"edit {self.start}:{self.end}"


def hunks(before: str, after: str) -> list[Hunk]:
    """The changed line ranges of ``before`` → ``after``, last first (so applying them in order works)."""
    old, new = before.splitlines(), after.splitlines()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    found = [
        Hunk(i1 + 1, i2, new[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]
    return list(reversed(found))


def lint_problems(before: str, after: str, changes: list[Hunk]) -> list[Finding]:
    """What the edit tool's lint gate would refuse in this save, seen as one edit over the changed span
    (the save is one change of the person's; its hunks are how it is recorded, not steps)."""
    start = min(h.start for h in changes)
    end = max(h.end for h in changes)
    new_lines = len(after.splitlines()) - (len(before.splitlines()) - (end - start + 1))
    return introduced(before, after, start, max(end, start - 1), new_lines)


def normalized(text: str) -> str:
    """What a save writes: the text ending in a newline (as the edit tool writes files)."""
    return text if not text or text.endswith("\n") else text + "\n"


def apply_hunks(text: str, changes: list[Hunk]) -> str:
    """``text`` with ``changes`` applied in order (what a replay does with the events)."""
    lines = text.splitlines()
    for h in changes:
        lines[h.start - 1 : h.end] = h.lines
    return "\n".join(lines) + ("\n" if lines else "")


def relative(path: str, workspace: str) -> str:
    """``path`` inside the workspace, for the run folder's copy (outside paths keep their name only)."""
    rel = posixpath.relpath(path, workspace) if path.startswith(workspace.rstrip("/") + "/") else ""
    return rel if rel and not rel.startswith("..") else posixpath.basename(path)


def keep_copy(folder: Path | None, kind: str, rel: str, text: str) -> None:
    """Write ``text`` to ``<run>/human/<kind>/<rel>`` (best effort: a full disk must not end the attempt)."""
    if folder is None:
        return
    try:
        base = folder / HUMAN_DIR
        if not (base / "README.txt").exists():
            base.mkdir(parents=True, exist_ok=True)
            (base / "README.txt").write_text(README, encoding="utf-8")
        target = base / kind / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    except OSError:
        pass


def apply_save(session: Session, save: SaveFile) -> None:
    """Apply ``save`` to the sandbox and record it (runs on the session's thread, between actions)."""
    env, bus = session.env, session.bus
    runtime = env.runtime
    if runtime is None:
        bus.publish(EventKind.INTERVENTION, action="save_refused", path=save.path, reason="the sandbox is closed")
        return
    try:
        disk = runtime.read_file(save.path).decode("utf-8", errors="replace")
    except FileNotFoundError:
        disk = ""
    except OSError as exc:
        bus.publish(EventKind.INTERVENTION, action="save_refused", path=save.path, reason=str(exc))
        return
    if disk != save.base:
        bus.publish(EventKind.INTERVENTION, action="save_conflict", path=save.path,
                    reason="the file changed on disk since the editor loaded it")
        return
    text = normalized(save.text)
    changes = hunks(disk, text)
    if save.path.endswith(".py") and changes:
        problems = lint_problems(disk, text, changes)
        if problems:
            reason = "the save would introduce: " + "; ".join(str(p) for p in problems[:5])
            bus.publish(EventKind.INTERVENTION, action="save_refused", path=save.path, reason=reason)
            return
    try:
        runtime.write_file(save.path, text.encode("utf-8"))
    except OSError as exc:
        bus.publish(EventKind.INTERVENTION, action="save_refused", path=save.path, reason=str(exc))
        return
    for i, h in enumerate(changes):
        bus.publish(EventKind.FILE_CHANGED, path=save.path, start=h.start, end=h.end, lines=h.lines, by="human",
                    hunk=i, hunks=len(changes))
    diff = "".join(difflib.unified_diff(disk.splitlines(keepends=True), text.splitlines(keepends=True),
                                        fromfile=save.path, tofile=save.path))
    added = sum(1 for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in diff.splitlines() if line.startswith("-") and not line.startswith("---"))
    bus.publish(EventKind.INTERVENTION, action="save", path=save.path, hunks=[h.header for h in changes],
                added=added, removed=removed, diff=diff[:DIFF_LIMIT], cut=len(diff) > DIFF_LIMIT)
    keep_copy(session.folder, "saved", relative(save.path, runtime.workspace), text)
