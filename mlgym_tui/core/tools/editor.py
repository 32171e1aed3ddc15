"""The file viewer and editor tools: open, goto, scroll, create, edit, insert.

They work through the runtime's file API, so the same code serves every backend. Their semantics are
MLGym's, because models trained and measured on MLGym rely on them:

- the window shows ``WINDOW`` (1000) lines around a *current line*, placed as MLGym places it (``open F
  N`` and ``goto N`` put line N a sixth of the window from the top; scrolling moves by the window less
  two lines of overlap);
- ``create F`` makes a file holding one empty line (so the usual next step, ``edit 1:1``, works);
- ``edit A:B`` replaces lines A..B with the body, lines as written (a body of one empty line writes one
  empty line; an empty body deletes). ``B`` past the end means "to the end"; ``A`` past the end appends;
  ``B`` below ``A`` keeps the lines in between on both sides, as MLGym's slicing does. Only the first
  word after ``edit`` is read (``edit 1:10 strategy.py`` edits lines 1-10 of the open file);
- ``insert N`` puts the body after line N (0: at the top; past the end: at the end);
- Python edits pass the lint gate of :mod:`mlgym_tui.core.tools.lint` or are refused, file unchanged;
- the task's read-only files are refused by the tools themselves, whatever the backend's permissions
  (a root shell on the local backend could otherwise write them).

Files are handled as bytes split on ``\\n`` (``\\r`` stays part of its line) and written back with a
newline after every line, as MLGym's ``printf "%s\\n"`` does, so an edit leaves the byte-identical file
MLGym would have left.
"""

from __future__ import annotations

import math
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mlgym_tui.core.runtime.base import Runtime
from mlgym_tui.core.tools.lint import introduced

WINDOW = 1000
OVERLAP = 2
UPDATED = "File updated. Check the changes: the indentation, and that no line is duplicated or lost."


class ToolError(Exception):
    """A tool was used wrongly; the message is the observation the agent sees."""


@dataclass
class ToolOutput:
    """An observation plus the events the environment publishes for views (editor panel)."""

    text: str
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@dataclass
class EditorState:
    path: str | None = None
    current: int = 0
    """MLGym's ``CURRENT_LINE``: the line the window is built around."""


def split_lines(data: bytes) -> list[str]:
    """A file's lines as MLGym's bash reads them: split on ``\\n`` only, bytes kept (surrogateescape)."""
    text = data.decode("utf-8", errors="surrogateescape")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def join_lines(lines: Iterable[str]) -> bytes:
    """What MLGym's ``printf "%s\\n"`` writes: every line followed by a newline (one, if there are none)."""
    lines = list(lines) or [""]
    return "".join(f"{line}\n" for line in lines).encode("utf-8", errors="surrogateescape")


def parse_line_number(value: str, what: str, usage: str) -> int:
    """A whole, non-negative number as MLGym accepts it (digits only), else a usage error."""
    if not value.isascii() or not value.isdigit():
        raise ToolError(f"Usage: {usage}\nError: {what} must be a number")
    return int(value)


class Editor:
    """Holds the open file and implements the editing tools over a runtime."""

    def __init__(self, runtime: Runtime, window: int = WINDOW, read_only: Iterable[str] = ()) -> None:
        self.runtime = runtime
        self.window = window
        self.read_only = {posixpath.normpath(p) for p in read_only}
        """Absolute paths the tools refuse to change (the task's read-only files)."""
        self.state = EditorState()

    # -- helpers -------------------------------------------------------------------------------
    def resolve(self, path: str) -> str:
        return posixpath.normpath(path if posixpath.isabs(path) else posixpath.join(self.runtime.cwd(), path))

    def _lines(self, path: str) -> list[str]:
        try:
            data = self.runtime.read_file(path)
        except FileNotFoundError as exc:
            raise ToolError(f"Error: file {path} not found") from exc
        except IsADirectoryError as exc:
            raise ToolError(f"Error: {path} is a folder; open takes a file (use cd or ls for folders)") from exc
        except PermissionError as exc:
            raise ToolError(f"Error: permission denied reading {path}") from exc
        if b"\x00" in data[:8192]:
            raise ToolError(f"Error: {path} looks like a binary file; the editor shows text files only")
        return split_lines(data)

    def _require_open(self) -> str:
        if self.state.path is None:
            raise ToolError("Error: no file is open; use `open PATH` first")
        return self.state.path

    def _constrain(self, total: int) -> None:
        half = self.window // 2
        self.state.current = max(min(self.state.current, total - half), half)

    def _view(self, path: str, lines: list[str], note: str = "") -> ToolOutput:
        """The window around the current line, numbered (MLGym's layout and arithmetic)."""
        total = len(lines)
        self._constrain(total)
        current, half = self.state.current, self.window / 2
        above = max(math.floor(current - half), 0)
        below = max(math.floor(total - current - half + 0.5), 0)
        bottom = math.floor(max(current + half, half))
        last = min(bottom, total)
        first = max(bottom - self.window + 1, 1)
        out = [f"[File: {path} ({total} lines total)]"]
        if above > 0:
            out.append(f"({above} more lines above)")
        out.extend(f"{n}:{lines[n - 1]}" for n in range(first, last + 1))
        if below > 0:
            out.append(f"({below} more lines below)")
        if note:
            out.append(note)
        event = ("file_opened", {"path": path, "first": first, "last": last, "total": total})
        return ToolOutput("\n".join(out), [event])

    def _place(self, line: int) -> None:
        """Put ``line`` a sixth of the window from the top, as MLGym's ``open F N`` and ``goto N`` do."""
        self.state.current = max(math.floor(line + self.window / 2 - self.window // 6), 1)

    def _check_writable(self, path: str) -> None:
        if path in self.read_only:
            raise ToolError(f"Error: {path} is read-only; it cannot be edited")

    # -- tools ---------------------------------------------------------------------------------
    def open(self, path: str, line: str | None = None) -> ToolOutput:
        resolved = self.resolve(path)
        lines = self._lines(resolved)
        total = len(lines)
        note = ""
        self.state.current = self.window // 2
        if line is not None:
            number = parse_line_number(line, "<line_number>", 'open "<file>" [<line_number>]')
            if number > total:
                note = f"Warning: line {number} is past the end of the file; showing its last line ({total})\n"
                self.state.current = total
            elif number < 1:
                note = "Warning: line numbers start at 1; showing line 1\n"
                self.state.current = 1
            else:
                self._place(number)
        self.state.path = resolved
        view = self._view(resolved, lines)
        view.text = note + view.text
        return view

    def goto(self, line: str) -> ToolOutput:
        path = self._require_open()
        number = parse_line_number(line, "<line>", "goto <line>")
        lines = self._lines(path)
        if number > len(lines):
            raise ToolError(f"Error: <line> must be less than or equal to {len(lines)}")
        self._place(number)
        return self._view(path, lines)

    def scroll(self, direction: int) -> ToolOutput:
        path = self._require_open()
        lines = self._lines(path)
        self.state.current += direction * (self.window - OVERLAP)
        return self._view(path, lines)

    def create(self, path: str) -> ToolOutput:
        resolved = self.resolve(path)
        if self.runtime.exists(resolved):
            view = self.open(path)
            view.text = f"Error: File '{path}' already exists.\n{view.text}"
            return view
        self._check_writable(resolved)
        self.runtime.write_file(resolved, join_lines([""]))
        view = self.open(path)
        view.events.append(
            ("file_changed", {"path": resolved, "start": 1, "end": 0, "lines": [""], "created": True})
        )
        return view

    def edit(self, line_range: str, body: list[str]) -> ToolOutput:
        """``edit A:B``: lines A..B of the open file become ``body`` (see the module docstring)."""
        path = self._require_open()
        usage = "edit <start_line>:<end_line>"
        start_s, _, rest = line_range.partition(":")
        end_s = rest.split(":", 1)[0]
        if not start_s or not end_s:
            raise ToolError(f"Usage: {usage}")
        start = parse_line_number(start_s, "start_line", usage)
        end = parse_line_number(end_s, "end_line", usage)
        if start < 1:
            raise ToolError(f"Usage: {usage}\nError: line numbers start at 1")
        return self._change(path, start, end, body, current=start - 1)

    def insert(self, line: str, body: list[str]) -> ToolOutput:
        """``insert N``: ``body`` goes after line N of the open file."""
        path = self._require_open()
        after = parse_line_number(line, "line_number", "insert <line_number>")
        return self._change(path, after + 1, after, body, current=after + 1)

    def replace(self, start: int, end: int, new_text: str) -> ToolOutput:
        """Lines ``start``..``end`` of the open file become ``new_text`` (``end = start - 1`` inserts);
        for views and scripts that hold text rather than a tool call."""
        path = self._require_open()
        body = new_text.split("\n") if new_text else []
        return self._change(path, start, end, body, current=start - 1)

    def _change(self, path: str, start: int, end: int, body: list[str], current: int) -> ToolOutput:
        lines = self._lines(path)
        self._check_writable(path)
        updated = lines[: start - 1] + body + lines[max(end, 0):]
        if path.endswith(".py"):
            self._lint(path, lines, updated, start, end, len(body))
        self.runtime.write_file(path, join_lines(updated))
        self.state.current = current
        view = self._view(path, updated, note=UPDATED)
        view.events.append(("file_changed", {"path": path, "start": start, "end": end, "lines": body}))
        return view

    def _lint(self, path: str, before: list[str], after: list[str], start: int, end: int, count: int) -> None:
        new = introduced(
            join_lines(before).decode("utf-8", "surrogateescape"),
            join_lines(after).decode("utf-8", "surrogateescape"),
            start,
            end,
            count,
        )
        if not new:
            return
        first = max(start - 3, 1)
        last = min(start + count + 2, len(after))
        proposed = "\n".join(f"{n}:{after[n - 1]}" for n in range(first, last + 1))
        raise ToolError(
            "Your edit was not applied: it would introduce these problems:\n"
            + "\n".join(f"- {finding}" for finding in new)
            + f"\nThis is how lines {first}-{last} would have looked:\n{proposed}\n"
            + f"The file {path} is unchanged. Fix the line numbers or the text and try again "
            + "(the same command gives the same error)."
        )
