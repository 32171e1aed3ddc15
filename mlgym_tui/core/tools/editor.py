"""The file viewer and editor tools: open, goto, scroll, create, edit, insert.

They work through the runtime's file API, so the same code serves every backend. The editor keeps a
window of lines on one open file (as SWE-agent's does); every command answers with that window so the
agent always sees line numbers it can edit by. Python edits are checked before they are written: an
edit that introduces a syntax error or an undefined name is refused and the file is left as it was.
"""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass, field
from typing import Any

import pyflakes.checker
import pyflakes.messages

from mlgym_tui.core.runtime.base import Runtime

WINDOW = 100


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
    first: int = 1  # first line shown, 1-based


def python_problems(source: str, filename: str) -> tuple[str | None, set[str]]:
    """(syntax error or None, undefined names) of a Python source."""
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        return f"SyntaxError: {exc.msg} (line {exc.lineno})", set()
    checker = pyflakes.checker.Checker(tree, filename=filename)
    undefined = {
        f"undefined name '{m.message_args[0]}' (line {m.lineno})"
        for m in checker.messages
        if isinstance(m, pyflakes.messages.UndefinedName)
    }
    return None, undefined


def _names_only(problems: set[str]) -> set[str]:
    return {p.split(" (line", 1)[0] for p in problems}


class Editor:
    """Holds the open file and implements the editing tools over a runtime."""

    def __init__(self, runtime: Runtime, window: int = WINDOW) -> None:
        self.runtime = runtime
        self.window = window
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
            raise ToolError(f"Error: {path} is a folder; open takes a file") from exc
        except PermissionError as exc:
            raise ToolError(f"Error: permission denied reading {path}") from exc
        if b"\x00" in data[:8192]:
            raise ToolError(f"Error: {path} looks like a binary file; the editor shows text files only")
        return data.decode("utf-8", errors="replace").splitlines()

    def _require_open(self) -> str:
        if self.state.path is None:
            raise ToolError("Error: no file is open; use `open PATH` first")
        return self.state.path

    def _view(self, path: str, lines: list[str], note: str = "") -> ToolOutput:
        total = len(lines)
        first = max(1, min(self.state.first, max(total - self.window + 1, 1)))
        self.state.first = first
        last = min(first + self.window - 1, total)
        out = [f"[File: {path} ({total} lines total)]"]
        if first > 1:
            out.append(f"({first - 1} more lines above)")
        out.extend(f"{n}:{lines[n - 1]}" for n in range(first, last + 1))
        if last < total:
            out.append(f"({total - last} more lines below)")
        if note:
            out.append(note)
        event = ("file_opened", {"path": path, "first": first, "last": last, "total": total})
        return ToolOutput("\n".join(out), [event])

    def _center(self, line: int) -> None:
        self.state.first = max(1, line - self.window // 2)

    # -- tools ---------------------------------------------------------------------------------
    def open(self, path: str, line: int | None = None) -> ToolOutput:
        resolved = self.resolve(path)
        lines = self._lines(resolved)
        if line is not None and not 1 <= line <= max(len(lines), 1):
            raise ToolError(f"Error: line {line} is outside {resolved} (1-{len(lines)})")
        self.state.path = resolved
        self.state.first = 1
        if line is not None:
            self._center(line)
        return self._view(resolved, lines)

    def goto(self, line: int) -> ToolOutput:
        path = self._require_open()
        lines = self._lines(path)
        if not 1 <= line <= max(len(lines), 1):
            raise ToolError(f"Error: line {line} is outside {path} (1-{len(lines)})")
        self._center(line)
        return self._view(path, lines)

    def scroll(self, direction: int) -> ToolOutput:
        path = self._require_open()
        lines = self._lines(path)
        last_first = max(len(lines) - self.window + 1, 1)
        if direction > 0 and self.state.first >= last_first:
            return self._view(path, lines, note="(already at the end of the file)")
        if direction < 0 and self.state.first <= 1:
            return self._view(path, lines, note="(already at the start of the file)")
        self.state.first = max(1, min(self.state.first + direction * self.window, last_first))
        return self._view(path, lines)

    def create(self, path: str) -> ToolOutput:
        resolved = self.resolve(path)
        if self.runtime.exists(resolved):
            raise ToolError(f"Error: {resolved} already exists; use `open {path}` to view or edit it")
        self.runtime.write_file(resolved, b"")
        self.state.path = resolved
        self.state.first = 1
        view = self._view(resolved, [])
        view.events.append(
            ("file_changed", {"path": resolved, "start": 1, "end": 0, "lines": [], "created": True})
        )
        return view

    def replace(self, start: int, end: int, new_text: str) -> ToolOutput:
        """Replace lines start..end (1-based, inclusive) of the open file; end = start - 1 inserts."""
        path = self._require_open()
        lines = self._lines(path)
        total = len(lines)
        if start < 1 or end < start - 1 or start > total + 1 or end > total:
            raise ToolError(f"Error: lines {start}:{end} are outside {path} ({total} lines)")
        new_lines = new_text.split("\n") if new_text else []
        updated = lines[: start - 1] + new_lines + lines[end:]
        source = "\n".join(updated) + ("\n" if updated else "")
        if path.endswith(".py"):
            self._check_python(path, "\n".join(lines) + "\n", source)
        self.runtime.write_file(path, source.encode("utf-8"))
        self._center(start)
        view = self._view(
            path, updated, note="File updated. Check the indentation and that there are no duplicate lines."
        )
        view.events.append(("file_changed", {"path": path, "start": start, "end": end, "lines": new_lines}))
        return view

    def _check_python(self, path: str, before: str, after: str) -> None:
        syntax_after, undefined_after = python_problems(after, path)
        syntax_before, undefined_before = python_problems(before, path)
        problems = []
        if syntax_after and not syntax_before:
            problems.append(syntax_after)
        elif not syntax_after:
            new = _names_only(undefined_after) - _names_only(undefined_before)
            problems.extend(sorted(p for p in undefined_after if p.split(" (line", 1)[0] in new))
        if problems:
            raise ToolError(
                "Your edit was not applied: it would introduce\n  - "
                + "\n  - ".join(problems)
                + f"\nThe file {path} is unchanged. Fix the edit and try again."
            )
