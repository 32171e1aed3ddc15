"""Performance ratios, performance profiles and the area under them (AUP), as pure functions.

The method is Dolan & Moré's performance profiles as adapted by the MLGym paper: on each task every
competitor's score becomes a ratio to the task's best score (1 for the best, larger for worse), the ratios
are compared on a log10 scale, and a competitor's profile ρ(τ) is the fraction of tasks on which its log10
ratio is at most τ. AUP is the area under that step function on [0, τ_max].

Ratios only make sense for positive numbers, so a score that is missing, failed, not positive, or worse
than the task's baseline is *infeasible*: it gets the task's worst feasible ratio × 1.05, i.e. it is
ranked just behind the worst competitor that did produce a usable score.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mlgym_tui.core.direction import Direction

INFEASIBLE_MARGIN = 1.05
"""Infeasible scores get the worst feasible ratio on their task times this."""

MLGYM_AUP_GRID = 500
"""The number of τ points on which MLGym's scripts evaluate the area (``score --aup-grid 500``)."""


@dataclass(frozen=True)
class Ratio:
    """One competitor's standing on one task.

    ``value`` is the performance ratio (≥ 1; 1 is the best on the task), or None when no competitor on
    the task had a feasible score (then no ratio exists at all). ``reason`` says why a score was
    infeasible: ``missing`` (no run), ``failed`` (no valid score), ``not positive``, ``worse than
    baseline``; it is None for a feasible score.
    """

    value: float | None
    score: float | None
    reason: str | None = None

    @property
    def feasible(self) -> bool:
        return self.reason is None and self.value is not None

    @property
    def log10(self) -> float | None:
        return None if self.value is None else math.log10(self.value)


def infeasibility(score: float | None, direction: Direction, baseline: float | None, ran: bool = True) -> str | None:
    """Why ``score`` cannot enter a ratio, or None when it can.

    ``ran`` tells a missing run (no attempt at all) from a run that produced no valid score.
    """
    if score is None:
        return "failed" if ran else "missing"
    if not math.isfinite(score):
        return "failed"
    if score <= 0:
        return "not positive"
    if baseline is not None and Direction.of(direction).worse(score, baseline):
        return "worse than baseline"
    return None


def performance_ratios(
    scores: Mapping[str, float | None],
    direction: Direction,
    baseline: float | None = None,
    ran: Mapping[str, bool] | None = None,
    margin: float = INFEASIBLE_MARGIN,
) -> dict[str, Ratio]:
    """Ratios of every competitor on one task.

    ``scores`` maps competitor → its score (None: no valid score); ``ran`` says which competitors have
    at least one run (default: all of them), so a missing run is told apart from a failed one.
    Higher-is-better: ratio = best / score; lower-is-better: ratio = score / best. Infeasible
    competitors get ``margin`` × the worst feasible ratio.
    """
    reasons = {
        name: infeasibility(score, direction, baseline, True if ran is None else ran.get(name, False))
        for name, score in scores.items()
    }
    feasible = {name: float(s) for name, s in scores.items() if reasons[name] is None and s is not None}
    if not feasible:
        return {name: Ratio(None, scores[name], reasons[name]) for name in scores}
    way = Direction.of(direction)
    best = way.best(feasible.values())
    assert best is not None
    ratios = {name: way.ratio(best, s) for name, s in feasible.items()}
    penalty = max(ratios.values()) * margin
    out: dict[str, Ratio] = {}
    for name, score in scores.items():
        if name in ratios:
            out[name] = Ratio(ratios[name], score, None)
        else:
            out[name] = Ratio(penalty, score, reasons[name])
    return out


@dataclass(frozen=True)
class ProfileCurve:
    """ρ(τ) of one competitor: a right-continuous step function of τ ≥ 0.

    ``steps`` holds (τ, ρ) pairs sorted by τ: from each τ on (inclusive) the profile is ρ, until the next
    pair. The first pair is always at τ = 0. ``tasks`` is the number of tasks the profile is over.
    """

    name: str
    steps: tuple[tuple[float, float], ...]
    tasks: int

    def rho(self, tau: float) -> float:
        """The fraction of tasks with log10 ratio ≤ τ."""
        value = 0.0
        for at, rho in self.steps:
            if at <= tau:
                value = rho
            else:
                break
        return value

    def points(self, tau_max: float) -> list[tuple[float, float]]:
        """Corner points of the curve on [0, τ_max] for drawing it as a staircase."""
        pts: list[tuple[float, float]] = []
        previous = 0.0
        for at, rho in self.steps:
            if at > tau_max:
                break
            if pts:
                pts.append((at, previous))
            pts.append((at, rho))
            previous = rho
        if not pts:
            pts.append((0.0, 0.0))
        pts.append((tau_max, previous))
        return pts


def performance_profile(name: str, log_ratios: Sequence[float | None]) -> ProfileCurve:
    """The profile of one competitor from its log10 ratio on each task (None counts as never reached)."""
    n = len(log_ratios)
    finite = sorted(max(0.0, x) for x in log_ratios if x is not None and math.isfinite(x))
    steps: list[tuple[float, float]] = [(0.0, 0.0)]
    for i, x in enumerate(finite, start=1):
        rho = i / n
        if steps[-1][0] == x:
            steps[-1] = (x, rho)
        else:
            steps.append((x, rho))
    return ProfileCurve(name=name, steps=tuple(steps), tasks=n)


def area_under_profile(log_ratios: Sequence[float | None], tau_max: float, grid: int | None = None) -> float:
    """AUP: the area under ρ(τ) on [0, τ_max].

    Exact by default: the profile is a mean of unit steps, one per task, each starting at that task's
    log10 ratio x, so the area is the mean over tasks of max(0, τ_max − x); a task with no ratio (None)
    adds nothing. The result lies in [0, τ_max].

    ``grid`` = N evaluates it as MLGym's scripts do instead: ρ at N evenly spaced points from 0 to τ_max,
    each held until the next (a left Riemann sum over N − 1 steps). That falls short of the exact area by
    up to τ_max/(N − 1) per task; it exists to reproduce MLGym's published AUP figures digit for digit.
    """
    if not log_ratios or tau_max <= 0:
        return 0.0
    if grid is not None and grid < 2:
        raise ValueError("the AUP grid needs at least 2 points")
    total = 0.0
    if grid is None:
        for x in log_ratios:
            if x is None or not math.isfinite(x):
                continue
            total += max(0.0, tau_max - max(0.0, x))
        return min(tau_max, total / len(log_ratios))
    step = tau_max / (grid - 1)
    points = [i * step for i in range(grid - 1)]  # the last point starts no step
    for x in log_ratios:
        if x is None or not math.isfinite(x):
            continue
        total += step * sum(1 for tau in points if x <= tau)
    return min(tau_max, total / len(log_ratios))


def auto_tau_max(worst_ratios: Sequence[float]) -> float:
    """The default τ_max, chosen as MLGym's scripts choose it.

    ``worst_ratios`` holds, for each task of each measure, the worst feasible performance ratio. Each
    task asks for ⌈ratio × 1.05⌉ (the infeasible ratio, rounded up to a whole number); τ_max is the log10
    of the largest of those, rounded up to one decimal. Every profile is then complete at τ_max (no
    competitor's curve is cut off), both measures share it, and it is a round number that changes only
    when the worst ratio crosses an integer. With no ratios at all it is log10 2 rounded up, 0.4.
    """
    needed = max((math.ceil(w * INFEASIBLE_MARGIN) for w in worst_ratios if math.isfinite(w)), default=2)
    return math.ceil(round(math.log10(max(needed, 2)) * 10, 9)) / 10
