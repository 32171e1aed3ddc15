"""Scoring the workspace: run the task's evaluation script, parse its metrics, judge them.

The evaluation always runs the task's own script from the task folder (never the copy in the workspace),
through the runtime's trusted channel, which alone sees the private test data. Read-only files in the
workspace are hash-checked first; a changed one marks the run as tampered and it is not scored.
Every failure becomes an :class:`~mlgym_tui.core.trajectory.Evaluation` with a clear error the agent can
act on, never an exception.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from mlgym_tui.core.runtime.base import Runtime
from mlgym_tui.core.task import TaskConfig, improvement
from mlgym_tui.core.trajectory import Evaluation

STDERR_TAIL_LINES = 15
PRIVATE_ERROR_CHARS = 300
"""With test labels mounted, the agent's code (imported by some evaluations) could print them to stderr:
then only the last line of the error, this long at most, reaches the agent."""


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_read_only(task: TaskConfig, runtime: Runtime) -> list[str]:
    """Read-only workspace files that differ from the task's originals (or are gone)."""
    changed = []
    for rel in task.read_only:
        original = task.dir / rel
        if not original.is_file():
            continue
        try:
            current = runtime.read_file(f"{runtime.workspace}/{rel}")
        except OSError:
            changed.append(rel)
            continue
        if _digest(current) != _digest(original.read_bytes()):
            changed.append(rel)
    return changed


def parse_metrics(stdout: str) -> dict[str, float]:
    """The last line of stdout that is a JSON object of numbers; ValueError when there is none."""
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if not (line.startswith("{") and line.endswith("}")):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            metrics: dict[str, float] = {}
            for key, value in obj.items():
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(f"metric {key!r} is not a number: {value!r}")
                metrics[str(key)] = float(value)
            return metrics
    raise ValueError("the evaluation printed no JSON object of metrics")


def run_evaluation(task: TaskConfig, runtime: Runtime, step: int, private_data: Path | None) -> Evaluation:
    """Evaluate the current workspace; see the module docstring."""
    tampered = check_read_only(task, runtime)
    if tampered:
        return Evaluation(
            step=step,
            valid=False,
            tampered=True,
            error=f"tampered: read-only file(s) changed: {', '.join(tampered)}; the run is not scored",
        )
    result = runtime.evaluate(task.dir, task.evaluation.script, task.evaluation.timeout, private_data)
    if result.timed_out:
        return Evaluation(
            step=step, valid=False, error=f"evaluation timed out after {task.evaluation.timeout:g} s"
        )
    if result.exit_code != 0:
        lines = result.stderr.strip().splitlines()
        if private_data is not None:
            tail = lines[-1][:PRIVATE_ERROR_CHARS] if lines else "(no error output)"
        else:
            tail = "\n".join(lines[-STDERR_TAIL_LINES:]) or "(no error output)"
        return Evaluation(
            step=step, valid=False, error=f"evaluation failed (exit code {result.exit_code}):\n{tail}"
        )
    try:
        metrics = parse_metrics(result.stdout)
    except ValueError as exc:
        return Evaluation(step=step, valid=False, error=f"evaluation output has a bad format: {exc}")
    primary = task.primary.name
    if primary not in metrics:
        return Evaluation(
            step=step,
            valid=False,
            metrics=metrics,
            error=f"evaluation output lacks the primary metric {primary!r}",
        )
    score = metrics[primary]
    if math.isnan(score) or math.isinf(score):
        return Evaluation(step=step, valid=False, metrics=metrics, error=f"{primary} is {score}")
    return Evaluation(step=step, valid=True, metrics=metrics, score=score)


def describe(task: TaskConfig, evaluation: Evaluation, final: bool) -> str:
    """The observation text the agent (or human) sees after validate/submit."""
    what = "Submission" if final else "Validation"
    if not evaluation.valid:
        return f"{what} invalid: {evaluation.error}"
    metric = task.primary
    lines = [f"{what} result:", "  " + json.dumps(evaluation.metrics)]
    base = task.baseline_score
    if base is not None and evaluation.score is not None:
        gain = improvement(metric, evaluation.score, base)
        verdict = "better than" if gain > 0 else ("equal to" if gain == 0 else "worse than")
        arrow = "higher" if metric.direction == "max" else "lower"
        lines.append(
            f"  {metric.name} {evaluation.score:g} is {verdict} the baseline {base:g} ({arrow} is better)"
        )
    return "\n".join(lines)
