"""3SATTime: the baseline reproduces its time; broken heuristics are invalid, with reasons that never
repeat what the heuristic saw of a hidden instance."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlgym_tui.core.task_sources import load_task
from tests.tasks.common import assert_invalid, run_baseline

TASK = "3SATTime"


@pytest.mark.slow
def test_baseline_reproduces_recorded_time(tmp_path: Path) -> None:
    result = run_baseline(TASK, tmp_path)
    recorded = load_task(TASK).baseline.scores
    metrics = result["submission"]["metrics"]
    assert metrics["Correct"] == recorded["Correct"] and metrics["Incorrect"] == 0


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
