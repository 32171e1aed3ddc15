"""Which way a metric improves, and every comparison that depends on it.

A metric is either maximised (accuracy, reward) or minimised (loss, time). The comparisons — which of
two scores is better, the gain over a baseline, the best of a list, the words shown to people — live
here once, so no caller spells out ``== "max"`` and gets a branch backwards. ``Direction`` is a
``StrEnum``: it is written to YAML and JSON as the plain strings ``"max"`` / ``"min"``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from enum import StrEnum


class Direction(StrEnum):
    MAX = "max"
    """Higher is better."""
    MIN = "min"
    """Lower is better."""

    @classmethod
    def of(cls, value: object, default: Direction | None = None) -> Direction:
        """Read a direction recorded somewhere less strict (a result file, an import).

        ``"min"`` is MIN and ``"max"`` is MAX; anything else is ``default`` (MAX when not given), as the
        readers of recorded files have always treated it.
        """
        if isinstance(value, cls):
            return value
        if value == "min":
            return cls.MIN
        if value == "max":
            return cls.MAX
        return default if default is not None else cls.MAX

    def better(self, a: float, b: float | None) -> bool:
        """Whether score ``a`` strictly beats ``b`` (None always loses)."""
        if b is None:
            return True
        return a > b if self is Direction.MAX else a < b

    def worse(self, a: float, b: float) -> bool:
        """Whether score ``a`` is strictly worse than ``b``."""
        return a < b if self is Direction.MAX else a > b

    def improvement(self, score: float, baseline: float | None) -> float:
        """Signed gain over the baseline: positive is better whatever the direction (0 without one)."""
        if baseline is None or math.isnan(score):
            return 0.0
        return score - baseline if self is Direction.MAX else baseline - score

    def best(self, values: Iterable[float]) -> float | None:
        """The best of ``values``; None when there are none."""
        values = list(values)
        if not values:
            return None
        return max(values) if self is Direction.MAX else min(values)

    def ratio(self, best: float, score: float) -> float:
        """``best`` over ``score`` as a performance ratio (≥ 1, 1 for the best); both positive."""
        return best / score if self is Direction.MAX else score / best

    @property
    def word(self) -> str:
        """``higher`` or ``lower``: the start of "… is better"."""
        return "higher" if self is Direction.MAX else "lower"

    @property
    def arrow(self) -> str:
        return "↑" if self is Direction.MAX else "↓"
