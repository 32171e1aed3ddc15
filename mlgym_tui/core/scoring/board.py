"""The scoreboard: every table of the MLGym evaluation, computed from a :class:`RunSet`.

This is the API the ``score`` command and the TUI's Scoreboard screen share. Everything in a
:class:`Scoreboard` is a plain dataclass of numbers and strings, so a view only has to lay it out.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from mlgym_tui.core.direction import Direction
from mlgym_tui.core.scoring.exit_groups import EXIT_GROUPS, exit_groups
from mlgym_tui.core.scoring.grading import TaskInfo, group_runs
from mlgym_tui.core.scoring.notes import Note, grouped
from mlgym_tui.core.scoring.profiles import (
    ProfileCurve,
    Ratio,
    area_under_profile,
    auto_tau_max,
    performance_profile,
    performance_ratios,
)
from mlgym_tui.core.scoring.runs import RunRecord, RunSet
from mlgym_tui.core.task_sources import task_info as local_task_info

BASELINE = "(task baseline)"
"""The label of the task baseline as a competitor (parenthesised so no agent can be called that)."""

MEASURES: dict[str, str] = {
    "best_attempt": "Best Attempt@k",
    "best_submission": "Best Submission@k",
}
"""Measure id → title. Best Attempt@k: the best score of any validation or submission in the first k
runs; Best Submission@k: the best final submission among them."""


@dataclass
class TaskRow:
    """One row: a task as its runs were graded, and each competitor's best scores (None: no valid score).

    ``task`` is the row's label: the task id, or the id with a ``[source]`` tag when runs of one id were
    graded against different baselines or metrics (see :mod:`.grading`); ``task_id`` is the plain id.
    """

    task: str
    metric: str
    direction: Direction
    baseline: float | None
    stand_in: bool
    sources: list[str]
    runs: dict[str, int]
    """Competitor → runs counted (at most k)."""
    best_attempt: dict[str, float | None]
    best_submission: dict[str, float | None]
    notes: list[str] = field(default_factory=list)
    task_id: str = ""

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
    aup_grid: int | None = None
    """None: the exact area; N: evaluated on MLGym's N-point grid (see :func:`~.profiles.area_under_profile`)."""


@dataclass
class ExitBreakdown:
    """How each competitor's runs ended, in the paper's groups (see :mod:`.exit_groups`)."""

    groups: list[str]
    counts: dict[str, dict[str, int]]
    """Competitor → group → runs in it (a run can be in two groups, as in the paper)."""
    runs: dict[str, int] = field(default_factory=dict)
    """Competitor → runs counted."""

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
    notes: list[Note] = field(default_factory=list)
    left_out: dict[str, int] = field(default_factory=dict)
    """Why runs that were found are not in the tables → how many (beyond k attempts, duplicates …)."""
    found: int = 0
    """Runs found under the given folders, scored or not (problems and unfinished ones included)."""

    @property
    def stand_in_tasks(self) -> list[str]:
        return [t.task for t in self.tasks if t.stand_in]

    @property
    def grouped_notes(self) -> list[str]:
        """The notes, one line per distinct message (see :func:`.notes.grouped`)."""
        return grouped(self.notes)

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
                "aup_grid": table.aup_grid,
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
            "exits": {"groups": self.exits.used_groups(), "counts": self.exits.counts, "runs": self.exits.runs},
            "costs": [asdict(c) for c in self.costs],
            "problems": self.problems,
            "in_progress": self.in_progress,
            "notes": [{"message": n.message, "where": n.where} for n in self.notes],
            "left_out": self.left_out,
            "found": self.found,
        }


def scoreboard(
    runs: RunSet,
    attempts: int | None = None,
    tau_max: float | None = None,
    include_baseline: bool = True,
    task_info: Callable[[str], TaskInfo | None] = local_task_info,
    aup_grid: int | None = None,
) -> Scoreboard:
    """Score ``runs`` the way the MLGym paper does.

    - Runs are scored against the metric, direction and baseline they were graded with; runs of one task
      id graded differently become separate rows (see :mod:`.grading`).
    - ``attempts`` (k): only each competitor's first k runs per task count, in the order of their
      recorded attempt index (MLGym's ``run_N``, a batch cell's attempt, else the seed), then start time;
      None counts every run.
    - ``tau_max``: the right end of the profiles and of the AUP integral, in log10-ratio units. None picks
      it as MLGym does (see :func:`~mlgym_tui.core.scoring.profiles.auto_tau_max`), one value for both
      measures. Fix it to compare AUPs across different sets of runs.
    - ``include_baseline``: the task baseline competes as :data:`BASELINE`, as in the paper.
    - ``task_info``: fills in what a task's runs do not record (default: ``tasks/<id>/task.yaml``).
    - ``aup_grid``: None for the exact area; N to evaluate it on MLGym's N-point grid.

    Infeasible scores (missing, failed, not positive, worse than the baseline) get the task's worst
    feasible ratio × 1.05. Nothing here raises for odd data; oddities become ``notes``.
    """
    if attempts is not None and attempts < 1:
        raise ValueError("attempts must be at least 1")
    if tau_max is not None and not (tau_max > 0 and math.isfinite(tau_max)):
        raise ValueError("tau_max must be a positive number")
    scored_tasks, notes = group_runs(runs.runs, task_info)
    agents = sorted({r.competitor for r in runs.runs})
    competitors = agents + ([BASELINE] if include_baseline else [])

    rows: list[TaskRow] = []
    counted: list[RunRecord] = []
    beyond_k = 0
    short: list[Note] = []
    for st in scored_tasks:
        grouped_runs: dict[str, list[RunRecord]] = defaultdict(list)
        for r in sorted(st.runs, key=lambda r: r.attempt_order):
            grouped_runs[r.competitor].append(r)
        best_attempt: dict[str, float | None] = {}
        best_submission: dict[str, float | None] = {}
        run_counts: dict[str, int] = {}
        for name in agents:
            mine = grouped_runs.get(name, [])
            chosen = mine[: attempts or None]
            beyond_k += len(mine) - len(chosen)
            if attempts and chosen and len(chosen) < attempts:
                short.append(Note(f"{name} has {len(chosen)} of {attempts} attempts", st.label))
            counted.extend(chosen)
            run_counts[name] = len(chosen)
            way = Direction.of(st.direction)
            best_attempt[name] = way.best(s for r in chosen for s in r.all_scores)
            best_submission[name] = way.best(f for r in chosen if (f := r.final_score) is not None)
        if include_baseline:
            best_attempt[BASELINE] = best_submission[BASELINE] = st.baseline
            run_counts[BASELINE] = 0
        rows.append(
            TaskRow(
                task=st.label,
                metric=st.metric,
                direction=Direction.of(st.direction),
                baseline=st.baseline,
                stand_in=st.stand_in,
                sources=st.sources,
                runs=run_counts,
                best_attempt=best_attempt,
                best_submission=best_submission,
                task_id=st.task,
            )
        )

    ratios = {key: _ratios(key, rows, competitors) for key in MEASURES}
    worst = [max(r.value for r in table.values() if r.feasible and r.value is not None)
             for by_task in ratios.values() for table in by_task[0].values()]
    chosen_tau = tau_max if tau_max is not None else auto_tau_max(worst)
    measures = {key: _measure(key, *ratios[key], competitors, chosen_tau, tau_max is None, aup_grid)
                for key in MEASURES}
    exits = ExitBreakdown(groups=list(EXIT_GROUPS), counts={name: {} for name in agents},
                          runs={name: 0 for name in agents})
    for r in counted:
        exits.runs[r.competitor] += 1
        for group in exit_groups(r.exit_status, r.submission_valid, r.submission_error,
                                 source_status=r.source_exit_status, last_action=r.last_action):
            exits.counts[r.competitor][group] = exits.counts[r.competitor].get(group, 0) + 1
    costs = _costs(agents, counted, len(rows), measures)
    left_out = {
        "beyond the first k attempts": beyond_k,
        "same source counted once": len(runs.duplicates),
        "unreadable": len(runs.problems),
        "unfinished": len(runs.in_progress),
        "without scores (SWE-agent)": runs.unscored,
        "filtered out": runs.filtered_out,
    }
    duplicate_notes = [Note("the same source run reached twice (a raw folder and its import, or a link); counted once",
                            f"{dup} = {first}") for dup, first in runs.duplicates]
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
        notes=notes + duplicate_notes + short + list(runs.warnings),
        left_out={k: v for k, v in left_out.items() if v},
        found=len(runs.runs) + sum(left_out.values()) - beyond_k,
    )


def _ratios(
    key: str, rows: list[TaskRow], competitors: list[str]
) -> tuple[dict[str, dict[str, Ratio]], list[str]]:
    """Ratios of each task on which someone is feasible, and the tasks left out (nobody is)."""
    ratios: dict[str, dict[str, Ratio]] = {}
    left_out: list[str] = []
    for row in rows:
        scores = row.best(key)
        ran = {c: (row.runs.get(c, 0) > 0 or c == BASELINE and row.baseline is not None) for c in competitors}
        table = performance_ratios(
            {c: scores.get(c) for c in competitors}, row.direction, row.baseline, ran
        )
        if all(r.value is None for r in table.values()):
            left_out.append(row.task)
            continue
        ratios[row.task] = table
    return ratios, left_out


def _measure(
    key: str,
    ratios: dict[str, dict[str, Ratio]],
    left_out: list[str],
    competitors: list[str],
    tau_max: float,
    auto: bool,
    aup_grid: int | None,
) -> MeasureTable:
    logs = {c: [ratios[t][c].log10 for t in ratios] for c in competitors}
    return MeasureTable(
        measure=key,
        title=MEASURES[key],
        tau_max=tau_max,
        tau_max_auto=auto,
        tasks=list(ratios),
        ratios=ratios,
        profiles={c: performance_profile(c, logs[c]) for c in competitors},
        aup={c: area_under_profile(logs[c], tau_max, aup_grid) for c in competitors},
        left_out=left_out,
        aup_grid=aup_grid,
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
