"""Scoring the workspace: check integrity, copy the submission as data, run the judge, check its metrics.

The judge is the task's own evaluation script, from the task folder (never the workspace copy), run as
trusted code on the host (:mod:`mlgym_tui.core.judging`) in a private folder that holds only a copy of the
declared submission files (:mod:`mlgym_tui.core.submission`); the agent's code, where the task must run
it, runs in the sandbox as the judge's player. Before that, read-only workspace files are hash-checked
against the task's originals: a changed one marks the run as tampered. Whatever the judge prints is
checked again here: only the task's declared metric names are kept, each must be a finite number
within the metric's declared bounds. Every failure becomes an :class:`Evaluation` with a clear error the
agent can act on, never an exception.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path

from mlgym_tui.core.judging import JudgeResult, run_judge
from mlgym_tui.core.runtime.base import Runtime
from mlgym_tui.core.runtime.episode_folders import (
    JUDGE_PREFIX,
    make_episode_root,
    start_reaper,
    stop_reaper,
    sweep_stale_episodes,
)
from mlgym_tui.core.submission import SubmissionRejected, copy_submission
from mlgym_tui.core.task import TaskConfig
from mlgym_tui.core.trajectory import Evaluation

STDERR_TAIL_LINES = 15
PRIVATE_ERROR_CHARS = 300
"""With hidden test data, the judge's errors may mention what its player saw: then only the last line of
the error, this long at most, reaches the agent, and the player's own error output not at all."""


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
            current = runtime.read_regular(f"{runtime.workspace}/{rel}", original.stat().st_size)
        except OSError:
            changed.append(rel)
            continue
        if _digest(current) != _digest(original.read_bytes()):
            changed.append(rel)
    return changed


def trusted_fingerprint(task: TaskConfig, private_data: Path | None) -> str:
    """A digest of what grading trusts on the host: the judge and player scripts and the private data.
    Taken when the episode starts and compared before every evaluation (on a backend that cannot hide
    them from the agent, a change is tampering)."""
    digest = hashlib.sha256()
    scripts = [task.evaluation.script, *([task.evaluation.player] if task.evaluation.player else [])]
    for rel in scripts:
        digest.update(rel.encode() + b"\0" + (task.dir / rel).read_bytes())
    if private_data is not None and private_data.is_dir():
        for path in sorted(p for p in private_data.rglob("*") if p.is_file() or p.is_symlink()):
            digest.update(str(path.relative_to(private_data)).encode() + b"\0")
            digest.update(path.read_bytes() if path.is_file() and not path.is_symlink() else b"<link>")
    return digest.hexdigest()


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


def check_metrics(task: TaskConfig, metrics: dict[str, float]) -> tuple[dict[str, float], str | None, str | None]:
    """(declared metrics kept, a note on what was dropped, an error that makes the evaluation invalid)."""
    declared = {m.name: m for m in task.metrics}
    kept = {k: v for k, v in metrics.items() if k in declared}
    dropped = sorted(set(metrics) - set(declared))
    note = (
        f"dropped undeclared metric(s) {', '.join(map(repr, dropped[:5]))}"
        + (f" and {len(dropped) - 5} more" if len(dropped) > 5 else "")
        if dropped
        else None
    )
    for name, value in kept.items():
        spec = declared[name]
        if not math.isfinite(value):
            return kept, note, f"{name} is {value}"
        if spec.upper is not None and value > spec.upper:
            return kept, note, f"{name} {value:g} is above its largest possible value {spec.upper:g}"
        if spec.lower is not None and value < spec.lower:
            return kept, note, f"{name} {value:g} is below its smallest possible value {spec.lower:g}"
    if task.primary.name not in kept:
        return kept, note, f"evaluation output lacks the primary metric {task.primary.name!r}"
    return kept, note, None


def _failure_text(task: TaskConfig, stderr: str, player_stderr: str, private: bool) -> str:
    lines = stderr.strip().splitlines()
    if private:
        return lines[-1][:PRIVATE_ERROR_CHARS] if lines else "(no error output)"
    tail = "\n".join(lines[-STDERR_TAIL_LINES:]) or "(no error output)"
    player_lines = player_stderr.strip().splitlines()
    if player_lines and task.evaluation.player:
        tail += "\nThe player's error output (your code's):\n" + "\n".join(player_lines[-STDERR_TAIL_LINES:])
    return tail


def run_evaluation(
    task: TaskConfig, runtime: Runtime, step: int, private_data: Path | None, python: Path
) -> Evaluation:
    """Evaluate the current workspace; see the module docstring. ``python`` runs the judge (the task's
    environment on the host)."""
    tampered = check_read_only(task, runtime)
    if tampered:
        return Evaluation(
            step=step,
            valid=False,
            tampered=True,
            error=f"tampered: read-only file(s) changed: {', '.join(tampered)}; the run is not scored",
        )
    sweep_stale_episodes()
    root = make_episode_root(JUDGE_PREFIX)
    reaper = start_reaper(root)  # a SIGKILL of this process mid-evaluation leaves no submission copy
    workdir = root / "work"  # the judge's scripts go beside it (judging._private_scripts), inside root
    workdir.mkdir(mode=0o700)
    try:
        try:
            copy_submission(runtime, task.evaluation.submission, workdir, task.evaluation.max_submission_bytes)
        except SubmissionRejected as exc:
            return Evaluation(step=step, valid=False, error=f"submission refused: {exc}")
        if task.evaluation.judge == "sandbox":
            legacy = runtime.evaluate_in_sandbox(
                task.dir, task.evaluation.script, task.evaluation.timeout, private_data
            )
            result = JudgeResult(legacy.exit_code, legacy.stdout, legacy.stderr, legacy.timed_out)
        else:
            result = run_judge(task, runtime, python, workdir, private_data)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        stop_reaper(reaper)
    if result.timed_out:
        return Evaluation(
            step=step, valid=False, error=f"evaluation timed out after {task.evaluation.timeout:g} s"
        )
    if result.exit_code != 0:
        tail = _failure_text(task, result.stderr, result.player_stderr, private_data is not None)
        return Evaluation(
            step=step, valid=False, error=f"evaluation failed (exit code {result.exit_code}):\n{tail}"
        )
    try:
        raw = parse_metrics(result.stdout)
    except ValueError as exc:
        return Evaluation(step=step, valid=False, error=f"evaluation output has a bad format: {exc}")
    metrics, note, error = check_metrics(task, raw)
    if error is not None:
        return Evaluation(step=step, valid=False, metrics=metrics, error=error, note=note)
    return Evaluation(step=step, valid=True, metrics=metrics, score=metrics[task.primary.name], note=note)


def round_reported(value: float, digits: int, scale: float | None = None) -> float:
    """``value`` to ``digits`` significant digits of ``max(|value|, |scale|)``: relative rounding for large
    values, and never finer than the metric's usual magnitude (its baseline) near zero, where relative
    rounding would report an r2 of 0.0001234 to seven decimals."""
    if not math.isfinite(value):
        return value
    magnitude = max(abs(value), abs(scale or 0.0))
    if magnitude == 0:
        return value
    quantum = 10.0 ** (math.floor(math.log10(magnitude)) - digits + 1)
    rounded = round(value / quantum) * quantum
    return float(f"{rounded:.{max(digits + 2, 0)}g}") if rounded else 0.0


def for_validation(task: TaskConfig, evaluation: Evaluation) -> Evaluation:
    """The evaluation as a ``validate`` reports it: every metric rounded (:func:`round_reported`, at the
    scale of its baseline), so one call reveals at most that much about the hidden labels."""
    digits = task.evaluation.validation_digits
    scales = task.baseline.scores
    metrics = {k: round_reported(v, digits, scales.get(k)) for k, v in evaluation.metrics.items()}
    score = metrics.get(task.primary.name) if evaluation.score is not None else None
    return Evaluation(step=evaluation.step, valid=evaluation.valid, metrics=metrics, score=score,
                      error=evaluation.error, tampered=evaluation.tampered, note=evaluation.note)


def baseline_as_reported(task: TaskConfig, final: bool) -> float | None:
    """The baseline a validation's rounded score is compared with: rounded the same way."""
    base = task.baseline_score
    if base is None or final:
        return base
    return round_reported(base, task.evaluation.validation_digits, base)


def describe(task: TaskConfig, evaluation: Evaluation, final: bool) -> str:
    """The observation text the agent (or human) sees after validate/submit."""
    what = "Submission" if final else "Validation"
    if not evaluation.valid:
        text = f"{what} invalid: {evaluation.error}"
        return text + (f"\n  note: {evaluation.note}" if evaluation.note else "")
    metric = task.primary
    lines = [f"{what} result:", "  " + json.dumps(evaluation.metrics)]
    base = baseline_as_reported(task, final)
    if base is not None and evaluation.score is not None:
        gain = metric.direction.improvement(evaluation.score, base)
        verdict = "better than" if gain > 0 else ("equal to" if gain == 0 else "worse than")
        arrow = metric.direction.word
        lines.append(
            f"  {metric.name} {evaluation.score:g} is {verdict} the baseline {base:g} ({arrow} is better)"
        )
    if evaluation.note:
        lines.append(f"  note: {evaluation.note}")
    return "\n".join(lines)
