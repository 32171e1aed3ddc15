"""The grade of one run, as every report shows it: score against baseline, how it ended, what it cost."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from mlgym_tui.core.direction import Direction
from mlgym_tui.core.events import EventKind
from mlgym_tui.core.formats.loaded import LoadedRun
from mlgym_tui.core.scoring.exit_groups import exit_group


@dataclass
class Point:
    """One evaluation on the metric plot."""

    step: int
    score: float | None
    valid: bool
    final: bool


@dataclass
class Grade:
    task: str
    agent: str
    model: str | None
    metric: str
    direction: Direction
    score: float | None
    """The final submission's primary score (None: no valid submission)."""
    best: float | None
    """The best score of any validation or the submission (Best Attempt@1)."""
    baseline: float | None
    exit_status: str
    exit_group: str
    steps: int
    wall_time: float
    cost: float
    tokens_in: int
    tokens_out: int
    stand_in: bool
    source: str
    finished: bool
    points: list[Point] = field(default_factory=list)

    @property
    def gain(self) -> float | None:
        """Improvement over the baseline, positive when better whatever the direction."""
        if self.score is None or self.baseline is None:
            return None
        return self.direction.improvement(self.score, self.baseline)

    @property
    def verdict(self) -> str:
        if self.score is None:
            return "no valid submission"
        gain = self.gain
        if gain is None:
            return "no baseline to compare with"
        return "better than the baseline" if gain > 0 else "equal to the baseline" if gain == 0 else "worse than the baseline"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "gain": self.gain, "verdict": self.verdict}


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def grade(run: LoadedRun) -> Grade:
    """Grade from ``result.json`` when there is one, else from the events (an unfinished run)."""
    h = run.header
    points = [
        Point(e.step, _num(e.data.get("score")), bool(e.data.get("valid")), e.kind is EventKind.SUBMISSION)
        for e in run.events
        if e.kind in (EventKind.VALIDATION, EventKind.SUBMISSION)
    ]
    metric = str(h.get("metric") or (run.result.primary_metric if run.result else "score"))
    baseline_raw = h.get("baseline")
    baseline = _num(baseline_raw.get(metric)) if isinstance(baseline_raw, dict) else _num(baseline_raw)
    ended = run.ended_event
    r = run.result
    if r is not None:
        sub = r.submission
        score = r.final_score
        baseline = _num(r.baseline.get(r.primary_metric)) if r.baseline else baseline
        status = r.exit_status
        group = exit_group(status, score is not None, sub.error if sub else "no submission",
                           source_status=r.source_exit_status, last_action=r.source_last_action)
        steps, wall, cost, t_in, t_out = r.steps, r.wall_time, r.cost, r.tokens_in, r.tokens_out
        metric, direction, stand_in, source = r.primary_metric, r.direction, r.stand_in, r.source
    else:
        d = ended.data if ended else {}
        score = _num(d.get("score"))
        status = str(d.get("exit_status", "unfinished"))
        subs = [p for p in points if p.final]
        group = exit_group(status, score is not None, None) if ended else "other"
        steps = int(_num(d.get("steps")) or max((e.step for e in run.events), default=0))
        wall = _num(d.get("wall_time")) or ((run.events[-1].time - run.events[0].time) if run.events else 0.0)
        cost = _num(d.get("cost")) or 0.0
        t_in, t_out = int(_num(d.get("tokens_in")) or 0), int(_num(d.get("tokens_out")) or 0)
        direction = h.get("direction")
        stand_in, source = bool(h.get("stand_in")), "mlgym-tui"
        if score is None and subs and subs[-1].valid:
            score = subs[-1].score
    valid = [p.score for p in points if p.valid and p.score is not None]
    direction = Direction.of(direction)
    best = direction.best(valid)
    return Grade(
        task=run.task,
        agent=str(h.get("agent") or (r.agent if r else "?")),
        model=h.get("model") if isinstance(h.get("model"), str) else None,
        metric=metric,
        direction=direction,
        score=score,
        best=best,
        baseline=baseline,
        exit_status=status,
        exit_group=group,
        steps=steps,
        wall_time=float(wall),
        cost=float(cost),
        tokens_in=t_in,
        tokens_out=t_out,
        stand_in=stand_in,
        source=source,
        finished=ended is not None or r is not None,
        points=points,
    )
