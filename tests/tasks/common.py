"""What every task test does: run the baseline as a user would, and score a broken workspace."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlgym_tui.core.env import ResearchEnv
from mlgym_tui.core.task_sources import load_task
from tests.helpers import cli


def run_baseline(task_id: str, out: Path, timeout: float = 600, check_score: bool = True) -> dict[str, Any]:
    """``mlgym-tui run ID --agent baseline --backend local``; asserts exit 0 and, unless ``check_score``
    is off (a score that measures the machine, such as CPU seconds, is checked by its own test), the
    recorded score."""
    proc = cli("run", task_id, "--agent", "baseline", "--backend", "local", "--out", str(out), "-q",
               timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    results = list(out.rglob("result.json"))
    assert len(results) == 1, results
    result = json.loads(results[0].read_text())
    task = load_task(task_id)
    assert result["exit_status"] == "submitted", result
    assert result["score"] is not None, result["submission"]
    assert not check_score or abs(result["score"] - task.baseline_score) <= task.baseline.tolerance, (
        f"{task_id}: measured {result['score']}, recorded {task.baseline_score} "
        f"(tolerance {task.baseline.tolerance})"
    )
    return result


def validate_broken(task_id: str, breakage: Callable[[Path], None]) -> tuple[str, dict[str, Any]]:
    """Reset the task, apply ``breakage`` to the workspace, validate; returns the observation and
    ``info["evaluation"]`` with the step's reward added."""
    env = ResearchEnv(task_id)
    try:
        env.reset(seed=0)
        assert env.runtime is not None
        breakage(Path(env.runtime.workspace))
        obs, reward, terminated, truncated, info = env.step("validate")
    finally:
        env.close()
    assert not terminated
    return obs, {**info["evaluation"], "reward": reward}


def assert_invalid(task_id: str, breakage: Callable[[Path], None], reason: str) -> None:
    """The broken workspace is scored invalid, with ``reason`` in what the agent sees."""
    obs, evaluation = validate_broken(task_id, breakage)
    assert evaluation["valid"] is False and evaluation["score"] is None, evaluation
    assert evaluation["reward"] == 0.0
    assert obs.startswith("Validation invalid"), obs
    assert reason in obs, obs
    assert "Traceback" not in obs, obs
