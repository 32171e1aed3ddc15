"""Notes on a scoreboard, and grouping the ones that repeat per run into one line with a count.

Scoring 600 imported runs can raise the same remark 600 times ("task 'x' is not in tasks/"); a report
shows it once, with how many runs it concerns and one of them as an example.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class Note:
    """A remark about the scoring, optionally about one file or folder (``where``)."""

    message: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


def grouped(notes: list[Note]) -> list[str]:
    """One line per distinct message, in first-seen order: ``message (N times, e.g. where)`` when repeated."""
    groups: OrderedDict[str, list[Note]] = OrderedDict()
    for note in notes:
        groups.setdefault(note.message, []).append(note)
    lines = []
    for message, items in groups.items():
        wheres = [n.where for n in items if n.where]
        if len(items) == 1:
            lines.append(str(items[0]))
        elif wheres:
            lines.append(f"{message} ({len(items)} times, e.g. {wheres[0]})")
        else:
            lines.append(f"{message} ({len(items)} times)")
    return lines
