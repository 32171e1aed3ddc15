"""Metric names other systems use for the metrics our tasks report, in one table.

MLGym's published runs name some primary metrics differently from our tasks (its captioning task reports
``BLEU Score`` where ours reports ``BLEU``). Where two names mean the same measurement they are one metric
for importing and scoring: :data:`METRIC_ALIASES` maps the other name onto ours, and every comparison of
metric names goes through :func:`canonical_metric`. A run keeps the name it was graded with (its scores are
stored under it); only comparisons use the canonical one.

Add a row only when the two names measure the same thing on the same scale (not, say, a loss and its
negative): a wrong row would silently mix incomparable scores.
"""

from __future__ import annotations

from collections.abc import Iterable

METRIC_ALIASES: dict[str, str] = {
    "BLEU Score": "BLEU",
    "Reward": "Reward Mean",
}
"""Other system's metric name → ours. Documented in docs/scoring.md ("Metric names")."""


def canonical_metric(name: str) -> str:
    """Our name for ``name`` (itself when it has no alias)."""
    return METRIC_ALIASES.get(name, name)


def same_metric(a: str, b: str) -> bool:
    """Whether two metric names mean the same measurement."""
    return canonical_metric(a) == canonical_metric(b)


def find_metric(wanted: str, available: Iterable[str]) -> str | None:
    """The name in ``available`` (e.g. a metrics dict) that means ``wanted``; the exact name first."""
    names = list(available)
    if wanted in names:
        return wanted
    return next((n for n in names if same_metric(n, wanted)), None)
