"""The scoreboard: every table of the MLGym evaluation, computed from a :class:`RunSet`.

This is the API the ``score`` command and the TUI's Scoreboard screen share. Everything in a
:class:`Scoreboard` is a plain dataclass of numbers and strings, so a view only has to lay it out.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from mlgym_tui.core.scoring.exit_groups import EXIT_GROUPS, exit_group
from mlgym_tui.core.scoring.profiles import (
    Direction,
    ProfileCurve,
    Ratio,
    area_under_profile,
    auto_tau_max,
    performance_profile,
    performance_ratios,
)
from mlgym_tui.core.scoring.runs import RunRecord, RunSet

BASELINE = "(task baseline)"
"""The label of the task baseline as a competitor (parenthesised so no agent can be called that)."""

MEASURES: dict[str, str] = {
    "best_attempt": "Best Attempt@k",
    "best_submission": "Best Submission@k",
}
"""Measure id → title. Best Attempt@k: the best score of any validation or submission in the first k
runs; Best Submission@k: the best final submission among them."""


@dataclass(frozen=True)
class TaskInfo:
    """What scoring needs to know about a task besides its runs."""

    metric: str
    direction: Direction
    baseline: float | None
    stand_in: bool = False


@dataclass
class TaskRow:
    """One task: its metric and baseline, and each competitor's best scores (None: no valid score)."""

    task: str
    metric: str
    direction: str
    baseline: float | None
    stand_in: bool
    sources: list[str]
    runs: dict[str, int]
    """Competitor → runs counted (at most k)."""
    best_attempt: dict[str, float | None]
    best_submission: dict[str, float | None]
    notes: list[str] = field(default_factory=list)

    def best(self, measure: str) -> dict[str, float | None]:
        return self.best_attempt if measure == "best_attempt" else self.best_submission


@dataclass
class MeasureTable:
    """Ratios, profiles and AUP for one measure (Best Attempt@k or Best Submission@k)."""

    measure: str
    title: str
    tau_max: float
    tau_max_auto: bool
    """True when τ_max was chosen from the data (see :func:`~.profiles.auto_tau_max`)."""
    tasks: list[str]
    """Tasks in the profiles (a task on which no competitor has a feasible score is left out)."""
    ratios: dict[str, dict[str, Ratio]]
    """Task → competitor → ratio."""
    profiles: dict[str, ProfileCurve]
    aup: dict[str, float]
    left_out: list[str] = field(default_factory=list)


@dataclass
class ExitBreakdown:
    """How each competitor's runs ended, in the paper's groups (see :mod:`.exit_groups`)."""

    groups: list[str]
    counts: dict[str, dict[str, int]]

    def used_groups(self) -> list[str]:
        """The groups that occur at all, in display order."""
        return [g for g in self.groups if any(c.get(g) for c in self.counts.values())]


@dataclass
class CostRow:
    """Money and tokens of one competitor's counted runs, and AUP per dollar per task."""

    competitor: str
    runs: int
    cost: float
    cost_per_task: float
    tokens_in: int
    tokens_out: int
    aup_per_dollar: dict[str, float | None]
    """Measure → AUP / (cost per task); None for a competitor that spent nothing."""


@dataclass
class Scoreboard:
    """Everything ``mlgym-tui score`` prints. Build it with :func:`scoreboard`."""

    competitors: list[str]
    """Agents (``agent`` or ``agent/model``) in name order, then :data:`BASELINE` when it competes."""
    tasks: list[TaskRow]
    measures: dict[str, MeasureTable]
    exits: ExitBreakdown
    costs: list[CostRow]
    attempts: int | None
    runs: int
    problems: list[str] = field(default_factory=list)
    in_progress: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def stand_in_tasks(self) -> list[str]:
        return [t.task for t in self.tasks if t.stand_in]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (ratios as numbers with their reasons, profiles as step lists)."""
        measures = {}
        for key, table in self.measures.items():
            measures[key] = {
                "title": table.title,
                "tau_max": table.tau_max,
                "tau_max_auto": table.tau_max_auto,
                "tasks": table.tasks,
                "left_out": table.left_out,
                "aup": table.aup,
                "ratios": {
                    task: {c: {"ratio": r.value, "log10": r.log10, "score": r.score, "infeasible": r.reason}
                           for c, r in row.items()}
                    for task, row in table.ratios.items()
                },
                "profiles": {c: [list(s) for s in p.steps] for c, p in table.profiles.items()},
            }
        return {
            "schema": "mlgym-tui/scoreboard",
            "version": 1,
            "attempts": self.attempts,
            "runs": self.runs,
            "competitors": self.competitors,
            "tasks": [asdict(t) for t in self.tasks],
            "stand_in_tasks": self.stand_in_tasks,
            "measures": measures,
            "exits": {"groups": self.exits.used_groups(), "counts": self.exits.counts},
            "costs": [asdict(c) for c in self.costs],
            "problems": self.problems,
            "in_progress": self.in_progress,
            "notes": self.notes,
        }


def local_task_info(task_id: str) -> TaskInfo | None:
    """Metric, direction, baseline and stand-in flag from ``tasks/<id>/task.yaml``; None if unknown."""
    from mlgym_tui.core.errors import ConfigError
    from mlgym_tui.core.task import load_task

    try:
        task = load_task(task_id)
    except (ConfigError, OSError):
        return None
    return TaskInfo(task.primary.name, task.primary.direction, task.baseline_score, task.stand_in)


def _best(values: list[float], direction: str) -> float | None:
    if not values:
        return None
    return max(values) if direction == "max" else min(values)


def _attempt_order(run: RunRecord) -> tuple[str, int, str]:
    return (run.started, run.seed, str(run.folder))


def _task_info(task: str, runs: list[RunRecord], lookup: Callable[[str], TaskInfo | None]) -> TaskInfo:
    """The task's own config when there is one, else what most of its runs recorded."""
    info = lookup(task)
    if info is not None:
        return info
    metric = Counter(r.metric for r in runs).most_common(1)[0][0]
    direction = Counter(r.direction for r in runs if r.metric == metric).most_common(1)[0][0]
    baselines = Counter(r.baseline for r in runs if r.metric == metric and r.baseline is not None)
    baseline = baselines.most_common(1)[0][0] if baselines else None
    return TaskInfo(metric, "min" if direction == "min" else "max", baseline)


def scoreboard(
    runs: RunSet,
    attempts: int | None = None,
    tau_max: float | None = None,
    include_baseline: bool = True,
    task_info: Callable[[str], TaskInfo | None] = local_task_info,
) -> Scoreboard:
    """Score ``runs`` the way the MLGym paper does.

    - ``attempts`` (k): only each competitor's first k runs per task count (ordered by start time, then
      seed); None counts every run.
    - ``tau_max``: the right end of the profiles and of the AUP integral, in log10-ratio units. None picks
      it from the data per measure (the largest log10 ratio, where every profile reaches its final
      value; see :func:`~mlgym_tui.core.scoring.profiles.auto_tau_max`). Fix it to compare AUPs across
      different sets of runs.
    - ``include_baseline``: the task baseline competes as :data:`BASELINE`, as in the paper.
    - ``task_info``: where a task's metric, direction, baseline and stand-in flag come from (default:
      ``tasks/<id>/task.yaml``; a task not there takes them from its runs).

    Infeasible scores (missing, failed, not positive, worse than the baseline) get the task's worst
    feasible ratio × 1.05. Nothing here raises for odd data; oddities become ``notes``.
    """
    if attempts is not None and attempts < 1:
        raise ValueError("attempts must be at least 1")
    if tau_max is not None and not (tau_max > 0 and math.isfinite(tau_max)):
        raise ValueError("tau_max must be a positive number")
    notes: list[str] = []
    by_task: dict[str, list[RunRecord]] = defaultdict(list)
    for run in runs.runs:
        by_task[run.task].append(run)
    agents = sorted({r.competitor for r in runs.runs})
    competitors = agents + ([BASELINE] if include_baseline else [])

    rows: list[TaskRow] = []
    counted: list[RunRecord] = []
    for task in sorted(by_task):
        task_runs = by_task[task]
        info = _task_info(task, task_runs, task_info)
        row_notes: list[str] = []
        usable = [r for r in task_runs if r.metric == info.metric]
        for r in task_runs:
            if r.metric != info.metric:
                row_notes.append(f"{r.folder}: scored on '{r.metric}', not the task's '{info.metric}'; left out")
        other_baselines = sorted({r.baseline for r in usable if r.baseline is not None and info.baseline is not None
                                  and not math.isclose(r.baseline, info.baseline, rel_tol=1e-9)})
        if other_baselines:
            row_notes.append(
                f"some runs were graded against another baseline ({', '.join(f'{b:g}' for b in other_baselines)});"
                f" this table uses {info.baseline:g}"
            )
        grouped: dict[str, list[RunRecord]] = defaultdict(list)
        for r in sorted(usable, key=_attempt_order):
            grouped[r.competitor].append(r)
        best_attempt: dict[str, float | None] = {}
        best_submission: dict[str, float | None] = {}
        run_counts: dict[str, int] = {}
        for name in agents:
            chosen = grouped.get(name, [])[: attempts or None]
            if attempts and chosen and len(chosen) < attempts:
                row_notes.append(f"{name} has {len(chosen)} of {attempts} attempts")
            counted.extend(chosen)
            run_counts[name] = len(chosen)
            best_attempt[name] = _best([s for r in chosen for s in r.all_scores], info.direction)
            best_submission[name] = _best(
                [r.submission_score for r in chosen if r.submission_score is not None], info.direction
            )
        if include_baseline:
            best_attempt[BASELINE] = best_submission[BASELINE] = info.baseline
            run_counts[BASELINE] = 0
        rows.append(
            TaskRow(
                task=task,
                metric=info.metric,
                direction=info.direction,
                baseline=info.baseline,
                stand_in=info.stand_in or any(r.stand_in for r in usable),
                sources=sorted({r.source for r in usable}),
                runs=run_counts,
                best_attempt=best_attempt,
                best_submission=best_submission,
                notes=row_notes,
            )
        )
        if len({r.source for r in usable}) > 1:
            row_notes.append(
                f"runs from different sources ({', '.join(sorted({r.source for r in usable}))}): their evaluations may differ"
            )

    measures = {key: _measure(key, rows, competitors, tau_max) for key in MEASURES}
    exits = ExitBreakdown(groups=list(EXIT_GROUPS), counts={name: {} for name in agents})
    for r in counted:
        group = exit_group(r.exit_status, r.submission_valid, r.submission_error)
        exits.counts[r.competitor][group] = exits.counts[r.competitor].get(group, 0) + 1
    costs = _costs(agents, counted, len(rows), measures)
    for row in rows:
        notes.extend(f"{row.task}: {n}" for n in row.notes)
    return Scoreboard(
        competitors=competitors,
        tasks=rows,
        measures=measures,
        exits=exits,
        costs=costs,
        attempts=attempts,
        runs=len(counted),
        problems=[str(p) for p in runs.problems],
        in_progress=[str(p) for p in runs.in_progress],
        notes=notes + list(runs.warnings),
    )


def _measure(key: str, rows: list[TaskRow], competitors: list[str], tau_max: float | None) -> MeasureTable:
    ratios: dict[str, dict[str, Ratio]] = {}
    left_out: list[str] = []
    for row in rows:
        scores = row.best(key)
        ran = {c: (row.runs.get(c, 0) > 0 or c == BASELINE and row.baseline is not None) for c in competitors}
        table = performance_ratios(
            {c: scores.get(c) for c in competitors}, "min" if row.direction == "min" else "max", row.baseline, ran
        )
        if all(r.value is None for r in table.values()):
            left_out.append(row.task)
            continue
        ratios[row.task] = table
    logs = {c: [ratios[t][c].log10 for t in ratios] for c in competitors}
    chosen = tau_max if tau_max is not None else auto_tau_max([x for xs in logs.values() for x in xs])
    return MeasureTable(
        measure=key,
        title=MEASURES[key],
        tau_max=chosen,
        tau_max_auto=tau_max is None,
        tasks=list(ratios),
        ratios=ratios,
        profiles={c: performance_profile(c, logs[c]) for c in competitors},
        aup={c: area_under_profile(logs[c], chosen) for c in competitors},
        left_out=left_out,
    )


def _costs(agents: list[str], counted: list[RunRecord], n_tasks: int, measures: dict[str, MeasureTable]) -> list[CostRow]:
    out = []
    for name in agents:
        mine = [r for r in counted if r.competitor == name]
        cost = sum(r.cost for r in mine)
        per_task = cost / n_tasks if n_tasks else 0.0
        out.append(
            CostRow(
                competitor=name,
                runs=len(mine),
                cost=round(cost, 6),
                cost_per_task=round(per_task, 6),
                tokens_in=sum(r.tokens_in for r in mine),
                tokens_out=sum(r.tokens_out for r in mine),
                aup_per_dollar={
                    key: (table.aup[name] / per_task if per_task > 0 else None) for key, table in measures.items()
                },
            )
        )
    return out
