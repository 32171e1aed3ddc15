"""Turning raw terminal output into lines a plain ``Log`` can show.

``Log`` prints escape codes raw and treats ``\\r`` as a line break, so output is cleaned
first: colour and cursor escapes go, a carriage return keeps only what was drawn last on the line (a
progress bar shows its final state), tabs become spaces.
"""

from __future__ import annotations

import re

_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor movement
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: titles, hyperlinks
    r"|\x1b[@-Z\\-_]"  # other two-byte escapes
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_line(line: str) -> str:
    """One line (no newline in it) as it would finally look on a terminal, roughly."""
    if "\x1b" in line:
        line = _ESCAPES.sub("", line)
    if "\r" in line:
        parts = [p for p in line.split("\r") if p]
        line = parts[-1] if parts else ""
    if "\t" in line:
        line = line.expandtabs(4)
    if _CONTROLS.search(line):
        line = _CONTROLS.sub("", line)
    return line


class LineSplitter:
    """Splits a stream of text chunks into complete lines, holding back a partial last line."""

    def __init__(self) -> None:
        self.partial = ""

    def feed(self, chunk: str) -> list[str]:
        text = self.partial + chunk
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        lines = text.split("\n")
        self.partial = lines.pop()
        # Most output is plain printable text: one C-level check per line skips the cleaning.
        return [line if line.isprintable() else clean_line(line) for line in lines]

    def flush(self) -> list[str]:
        """The held-back partial line, if any (the command ended without a final newline)."""
        rest, self.partial = self.partial, ""
        return [clean_line(rest)] if rest else []


def counted(n: int, noun: str) -> str:
    """``1 task``, ``2 tasks``: a count with its noun in the right number."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
