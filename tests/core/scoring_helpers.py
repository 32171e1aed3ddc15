"""Synthetic runs for scoring tests: RunRecords built directly, and task info without task.yaml."""

from __future__ import annotations

from pathlib import Path

from mlgym_tui.core.scoring import RunRecord, RunSet, TaskInfo


def record(task: str, agent: str, submission: float | None, validations: tuple[float, ...] = (),
           direction: str = "max", baseline: float | None = None, attempt: int = 0, cost: float = 0.0,
           status: str = "submitted", model: str | None = None, stand_in: bool = False,
           source: str = "mlgym-tui") -> RunRecord:
    return RunRecord(
        folder=Path(f"/runs/{task}/{agent}/{attempt}"),
        task=task,
        agent=agent,
        model=model,
        metric="m",
        direction=direction,
        exit_status=status,
        validation_scores=validations,
        submission_score=submission,
        submission_error=None if submission is not None else "evaluation failed",
        baseline=baseline,
        cost=cost,
        seed=attempt,
        started=f"2025-01-01T00:00:{attempt:02d}",
        stand_in=stand_in,
        source=source,
    )


def info_from(tasks: dict[str, tuple[str, float | None]]):  # noqa: ANN201
    """task_info callback: task → (direction, baseline)."""
    return lambda task: TaskInfo("m", tasks[task][0], tasks[task][1]) if task in tasks else None  # type: ignore[arg-type]


def runset(*records: RunRecord) -> RunSet:
    return RunSet(runs=list(records))
