"""The lint gate of ``edit`` and ``insert``: which problems an edit would *introduce* into a Python file.

MLGym's editor runs flake8 with a fixed selection of codes before and after a change, and refuses the
change when the second run reports anything the first did not (after moving the first run's findings
below the edited range by the number of lines the edit added). This module does the same, on the host
(the text is data here: it is parsed, never run), with the two checkers flake8 runs for those codes,
called directly so that only the selected checks run (flake8 runs every pycodestyle check and filters
afterwards, several times slower); on 914 Python files from MLGym's published runs both give the same
findings. The codes:

- E999: syntax errors (the whole file must compile; then nothing else is reported, as in flake8),
- F821 / F822 / F831 (pyflakes): undefined names, undefined names in ``__all__``, duplicate arguments,
- E111 / E112 / E113 (pycodestyle): indentation not a multiple of four, missing and unexpected
  indentation.

A line marked ``# noqa`` (or ``# noqa: CODE``) is exempt, as flake8 exempts it.

One difference from MLGym, on purpose: for ``insert`` MLGym does not move earlier findings below the
inserted lines (its shift is computed as zero), so an insertion above an existing problem is refused
there; here findings are moved by the number of inserted lines, as they are for ``edit``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pycodestyle
import pyflakes.checker
import pyflakes.messages


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


_PYFLAKES = {
    pyflakes.messages.UndefinedName: "F821",
    pyflakes.messages.UndefinedExport: "F822",
    pyflakes.messages.DuplicateArgument: "F831",
}
_INDENTATION = ("E111", "E112", "E113")
_NOQA = re.compile(r"#\s*noqa(?::\s?(?P<codes>[A-Z][0-9]+(?:[,\s]+[A-Z][0-9]+)*))?", re.IGNORECASE)
_STYLE = pycodestyle.StyleGuide(select=list(_INDENTATION), quiet=True)


class _Collect(pycodestyle.BaseReport):
    """Keeps pycodestyle's findings instead of printing them."""

    def __init__(self, options: Any) -> None:
        super().__init__(options)
        self.found: list[Finding] = []

    def error(self, line_number: int, offset: int, text: str, check: Any) -> str | None:
        code = text[:4]
        if code in _INDENTATION:
            self.found.append(Finding(line_number, offset + 1, code, text[5:]))
        return code


def findings(source: str) -> list[Finding]:
    """The findings (of the selected codes) for Python ``source``, in line order."""
    return list(_findings(source))


@lru_cache(maxsize=16)
def _findings(source: str) -> tuple[Finding, ...]:
    """Cached: an edit's "before" is usually the previous edit's "after", so each text is linted once."""
    lines = source.splitlines(True)
    try:
        tree = compile(source, "<edit>", "exec", ast.PyCF_ONLY_AST)
    except SyntaxError as exc:
        return (Finding(exc.lineno or 1, exc.offset or 0, "E999", f"{type(exc).__name__}: {exc.msg}"),)
    except ValueError as exc:  # e.g. a NUL byte
        return (Finding(1, 0, "E999", f"{type(exc).__name__}: {exc}"),)
    found = [
        Finding(m.lineno, m.col + 1, _PYFLAKES[type(m)], m.message % m.message_args)
        for m in pyflakes.checker.Checker(tree, filename="<edit>").messages
        if type(m) in _PYFLAKES
    ]
    report = _Collect(_STYLE.options)
    pycodestyle.Checker(lines=lines, options=_STYLE.options, report=report).check_all()
    found.extend(report.found)
    return tuple(sorted((f for f in found if not _exempt(f, lines)), key=lambda f: (f.line, f.column)))


def _exempt(finding: Finding, lines: list[str]) -> bool:
    """Whether the finding's line carries a ``# noqa`` that covers it."""
    line = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
    mark = _NOQA.search(line)
    if mark is None:
        return False
    codes = mark.group("codes")
    return not codes or finding.code in re.split(r"[,\s]+", codes.upper())


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
