"""Which runs are scored together: a run is scored against the metric, direction and baseline it was graded with.

Runs of one task id that were graded differently — MLGym's 3-SAT runs against its 16.158 s baseline,
ours against the baseline measured here — are different tasks for scoring: each group gets its own row,
ratios and profile entry, and a note says the task was split. Metric names are compared through
:data:`~mlgym_tui.core.metric_names.METRIC_ALIASES` (MLGym's ``BLEU Score`` is our ``BLEU``).

A run that records no baseline for its metric takes the one its task's other runs from the same source
recorded (as MLGym's own scripts take the first baseline they find for a task), and failing that the local
``tasks/<id>/task.yaml``, when its metric is the same. Only what a run does not record is filled in.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from mlgym_tui.core.metric_names import canonical_metric, same_metric
from mlgym_tui.core.scoring.notes import Note
from mlgym_tui.core.scoring.runs import RunRecord
from mlgym_tui.core.task import TaskInfo


@dataclass
class ScoredTask:
    """One row of the tables: a task id and how its runs were graded."""

    label: str
    """The row's name: the task id, with ``[source]`` (and the baseline) added when the id is split."""
    task: str
    metric: str
    direction: str
    baseline: float | None
    runs: list[RunRecord] = field(default_factory=list)

    @property
    def stand_in(self) -> bool:
        """Scores produced on our offline stand-in data (never true for imported MLGym runs)."""
        return any(r.stand_in for r in self.runs)

    @property
    def sources(self) -> list[str]:
        return sorted({r.source for r in self.runs})


def _key(value: float | None) -> float | None:
    """Baselines equal to 9 significant digits are one baseline (JSON round trips add noise beyond that)."""
    return None if value is None else float(f"{value:.9g}")


def _close(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def group_runs(
    runs: list[RunRecord], lookup: Callable[[str], TaskInfo | None]
) -> tuple[list[ScoredTask], list[Note]]:
    """The rows of the tables, in task order, and notes on what was filled in or split."""
    notes: list[Note] = []
    by_task: dict[str, list[RunRecord]] = defaultdict(list)
    for run in runs:
        by_task[run.task].append(run)
    rows: list[ScoredTask] = []
    for task in sorted(by_task):
        local = lookup(task)
        groups: dict[tuple[str, str, float | None], list[RunRecord]] = defaultdict(list)
        filled = _fill_baselines(task, by_task[task], local, notes)
        for run, baseline in filled:
            groups[(canonical_metric(run.metric), run.direction, _key(baseline))].append(run)
        task_rows = [
            ScoredTask(task, task, metric, direction, baseline, group)
            for (metric, direction, baseline), group in groups.items()
        ]
        if len(task_rows) > 1:
            _label_split(task, task_rows, local)
            parts = ", ".join(
                f"{row.label} ({row.metric}, baseline {_fmt(row.baseline)}, {len(row.runs)} runs)" for row in task_rows
            )
            notes.append(Note(f"{task}: runs were graded against different baselines or metrics; scored as "
                              f"separate tasks: {parts}"))
        rows += sorted(task_rows, key=lambda r: r.label)
    return rows, notes


def _fill_baselines(
    task: str, runs: list[RunRecord], local: TaskInfo | None, notes: list[Note]
) -> list[tuple[RunRecord, float | None]]:
    """Each run with the baseline it is scored against."""
    recorded: dict[tuple[str, str], Counter[float]] = defaultdict(Counter)
    for r in runs:
        if r.baseline is not None:
            recorded[(r.source, canonical_metric(r.metric))][r.baseline] += 1
    out: list[tuple[RunRecord, float | None]] = []
    filled: Counter[tuple[str, str, str, float | None]] = Counter()
    for r in runs:
        if r.baseline is not None:
            out.append((r, r.baseline))
            continue
        same_source = recorded.get((r.source, canonical_metric(r.metric)))
        if same_source:
            value: float | None = same_source.most_common(1)[0][0]
            where = f"its task's other {r.source} runs"
        elif local is not None and same_metric(local.metric, r.metric):
            value, where = local.baseline, f"tasks/{task}/task.yaml"
        else:
            value, where = None, ""
        if value is not None:
            filled[(r.source, r.metric, where, value)] += 1
        out.append((r, value))
    for (source, metric, where, value), n in filled.items():
        notes.append(Note(f"{task}: {n} {source} run(s) record no '{metric}' baseline; scored against "
                          f"{_fmt(value)} from {where}"))
    return out


def _label_split(task: str, rows: list[ScoredTask], local: TaskInfo | None) -> None:
    """Name the rows of a split task: the one graded like ``task.yaml`` keeps the id, the others get a tag."""
    home = None
    if local is not None:
        home = next((r for r in rows if same_metric(r.metric, local.metric) and _close(r.baseline, local.baseline)), None)
    for row in rows:
        if row is not home:
            row.label = f"{task} [{'+'.join(row.sources)}]"
    counts = Counter(r.label for r in rows)
    for row in rows:
        if counts[row.label] > 1:
            tag = row.label.removeprefix(task).strip(" []")
            parts = [p for p in (tag, row.metric if len({r.metric for r in rows}) > 1 else "",
                                 f"baseline {_fmt(row.baseline)}") if p]
            row.label = f"{task} [{', '.join(parts)}]"


def _fmt(value: float | None) -> str:
    return "none" if value is None else f"{value:.6g}"
