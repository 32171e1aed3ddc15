"""3SATTime: the baseline reproduces its time; broken heuristics are invalid, with reasons that never
repeat what the heuristic saw of a hidden instance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlgym_tui.core.env import ResearchEnv
from mlgym_tui.core.task_sources import load_task
from tests.tasks.common import assert_invalid, run_baseline

TASK = "3SATTime"


# CPU seconds measure the machine as much as the heuristic: the recorded 14.3 s was measured on this
# project's machine, CI's CPU took 21.4 s for the same run, and the project's machine itself gave
# 17.5–23.2 s on another day. What depends much less on the machine is how the hidden set's time compares
# with the public set's, both timed by the same player on the same machine within one test. Five runs of
# this test on the project's machine gave ratios 1.12, 1.18, 1.29, 1.30 and 1.56 (hidden 20.6–23.2 s,
# public 13.5–18.6 s): the band below holds those with room, and fails on a time that measures something
# else (wall clock under load, a wrong instance set, seconds vs milliseconds).
RATIO = 1.3
RATIO_TOLERANCE = 0.4


def _public_time() -> float:
    """``python evaluate.py`` in a fresh workspace: the baseline's CPU seconds on ``data/train``."""
    env = ResearchEnv(TASK)
    try:
        env.reset(seed=0)
        assert env.runtime is not None
        done = env.runtime.run("python evaluate.py", timeout=600)
    finally:
        env.close()
    assert done.exit_code == 0, done.output[-2000:]
    return float(json.loads(done.output.strip().splitlines()[-1])["Time"])


@pytest.mark.slow
def test_baseline_reproduces_recorded_time(tmp_path: Path) -> None:
    result = run_baseline(TASK, tmp_path, check_score=False)
    recorded = load_task(TASK).baseline.scores
    metrics = result["submission"]["metrics"]
    assert metrics["Correct"] == recorded["Correct"] and metrics["Incorrect"] == 0
    public = _public_time()
    ratio = metrics["Time"] / public
    print(f"hidden {metrics['Time']} s, public {public} s, ratio {ratio:.4f}")
    assert abs(ratio - RATIO) <= RATIO_TOLERANCE * RATIO, (
        f"hidden {metrics['Time']} s / public {public} s = {ratio:.3f}, recorded {RATIO} "
        f"(the hidden time on this machine should be near {RATIO * public:.1f} s)")


def _heuristic(body: str):
    return lambda ws: (ws / "heuristic.py").write_text(
        f"def heuristic_fn(clauses, assignments, conflict_count, assignment_history, level):\n{body}\n")


HIDDEN = "the heuristic failed on hidden instance 1; run `python evaluate.py`"


@pytest.mark.parametrize("breakage, reason", [
    (lambda ws: (ws / "heuristic.py").unlink(), "heuristic.py not found"),
    (lambda ws: (ws / "heuristic.py").write_text("import nonexistent_module\n"),
     "importing heuristic.py failed: ModuleNotFoundError"),
    (lambda ws: (ws / "heuristic.py").write_text("def other(): pass\n"), "does not define a function heuristic_fn"),
    (_heuristic("    raise KeyError('SECRET-CLAUSES ' + str(clauses[:3]))"), HIDDEN),
    (_heuristic("    return 0, True"), HIDDEN),
    (_heuristic("    return next(iter(assignments), 1) if assignments else 1, True"), HIDDEN),
    # Editing the clause list the solver hands over produces wrong answers, which are caught.
    (_heuristic("    lit = clauses[0][0]\n    clauses.clear()\n    return abs(lit), lit > 0"),
     "wrong answer on hidden instance"),
    (_heuristic("    clauses += [(1,), (-1,)]\n    return abs(clauses[0][0]), clauses[0][0] > 0"),
     "reported unsatisfiable, but it is satisfiable"),
])
def test_broken_heuristic_is_invalid(breakage, reason: str) -> None:
    assert_invalid(TASK, breakage, reason)
