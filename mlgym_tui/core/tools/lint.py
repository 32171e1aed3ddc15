"""The lint gate of ``edit`` and ``insert``: which problems an edit would *introduce* into a Python file.

MLGym's editor runs flake8 with a fixed selection of codes before and after a change, and refuses the
change when the second run reports anything the first did not (after moving the first run's findings
below the edited range by the number of lines the edit added). This module does the same, with flake8
in-process on the host (the text is data here: it is parsed, never run), so an edit that MLGym refused
is refused here and one it allowed is allowed. The codes:

- E999 / E902: syntax and tokenizer errors (the whole file must parse),
- F821 / F822 / F831: undefined names, undefined names in ``__all__``, duplicate arguments,
- E111 / E112 / E113: indentation not a multiple of four, missing and unexpected indentation.

One difference from MLGym, on purpose: for ``insert`` MLGym does not move earlier findings below the
inserted lines (its shift is computed as zero), so an insertion above an existing problem is refused
there; here findings are moved by the number of inserted lines, as they are for ``edit``.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

SELECTED = ("F821", "F822", "F831", "E111", "E112", "E113", "E999", "E902")


@dataclass(frozen=True)
class Finding:
    """One flake8 finding (line and column as flake8 reports them)."""

    line: int
    column: int
    code: str
    text: str

    def shifted(self, by: int) -> Finding:
        return Finding(self.line + by, self.column, self.code, self.text)

    def __str__(self) -> str:
        return f"{self.code} {self.text} (line {self.line})"


_lock = threading.Lock()
_guide: Any = None
_found: list[Finding] = []


def _style_guide() -> Any:
    """flake8's style guide, built once (loading its plugins takes ~0.1 s)."""
    global _guide
    if _guide is None:
        from flake8.api import legacy
        from flake8.formatting.base import BaseFormatter

        class Collect(BaseFormatter):
            """Keeps findings in memory instead of printing them."""

            def handle(self, error: Any) -> None:
                _found.append(Finding(error.line_number, error.column_number, error.code, error.text))

            def start(self) -> None:
                pass

            def stop(self) -> None:
                pass

            def show_statistics(self, statistics: Any) -> None:
                pass

            def show_benchmarks(self, benchmarks: Any) -> None:
                pass

        _guide = legacy.get_style_guide(select=list(SELECTED), isolated=True)
        _guide.init_report(Collect)
    return _guide


def findings(source: str) -> list[Finding]:
    """flake8's findings (of the selected codes) for Python ``source``, in line order."""
    return list(_findings(source))


@lru_cache(maxsize=16)
def _findings(source: str) -> tuple[Finding, ...]:
    """Cached: an edit's "before" is usually the previous edit's "after", so each text is linted once."""
    fd, path = tempfile.mkstemp(suffix=".py", prefix="mlgym-lint-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(source)
        with _lock:
            _found.clear()
            _style_guide().check_files([path])
            found = list(_found)
    finally:
        os.unlink(path)
    return tuple(sorted(found, key=lambda f: (f.line, f.column)))


def introduced(before: str, after: str, start: int, end: int, new_lines: int) -> list[Finding]:
    """Findings in ``after`` that ``before`` did not have.

    Lines ``start``..``end`` (1-based, inclusive) of ``before`` were replaced by ``new_lines`` lines: a
    finding of ``before`` above the range stays where it was, one below it moves by the change in length,
    and one inside it is forgotten (whatever is found there now is the edit's).
    """
    added = new_lines - (end - start + 1)
    old: set[Finding] = set()
    for finding in findings(before):
        if finding.line < start:
            old.add(finding)
        elif finding.line > end:
            old.add(finding.shifted(added))
    return [f for f in findings(after) if f not in old]
