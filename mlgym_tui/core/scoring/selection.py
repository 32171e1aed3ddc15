"""Choosing which runs to score: ``--tasks``/``--exclude-tasks`` and ``--competitors``/``--exclude``.

Patterns are shell globs (``fnmatch``, case-sensitive): ``--exclude '*gemini-20-pro'`` drops one model,
``--tasks 'rl*'`` keeps the RL tasks. Tasks match on the task id; competitors on their label
(``agent`` or ``agent/model``). Runs filtered out are counted, so a report can say how many were left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from fnmatch import fnmatchcase

from mlgym_tui.core.scoring.runs import RunSet


def _matches(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatchcase(name, p) for p in patterns)


def split_patterns(values: Sequence[str] | None) -> list[str]:
    """``["a,b", "c"]`` → ``["a", "b", "c"]`` (options may be repeated or comma-separated)."""
    return [p.strip() for v in values or [] for p in v.split(",") if p.strip()]


def select_runs(
    runs: RunSet,
    tasks: Sequence[str] = (),
    exclude_tasks: Sequence[str] = (),
    competitors: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> RunSet:
    """The runs that pass every filter (an empty list keeps everything); the rest counted in ``filtered_out``."""
    kept = [
        r for r in runs.runs
        if (not tasks or _matches(r.task, tasks))
        and not _matches(r.task, exclude_tasks)
        and (not competitors or _matches(r.competitor, competitors))
        and not _matches(r.competitor, exclude)
    ]
    return replace(runs, runs=kept, filtered_out=runs.filtered_out + len(runs.runs) - len(kept))
