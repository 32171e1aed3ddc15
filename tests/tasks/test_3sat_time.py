"""3SATTime: the baseline reproduces its time (and exactly its decisions); broken heuristics are invalid."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlgym_tui.core.task import load_task
from tests.tasks.common import assert_invalid, run_baseline

TASK = "3SATTime"


@pytest.mark.slow
def test_baseline_reproduces_recorded_time_and_decisions(tmp_path: Path) -> None:
    result = run_baseline(TASK, tmp_path)
    recorded = load_task(TASK).baseline.scores
    metrics = result["submission"]["metrics"]
    assert metrics["Decisions"] == recorded["Decisions"] and metrics["Instances"] == recorded["Instances"]


def _heuristic(body: str):
    return lambda ws: (ws / "heuristic.py").write_text(f"def choose_literal(clauses, assignment):\n{body}\n")


@pytest.mark.parametrize("breakage, reason", [
    (lambda ws: (ws / "heuristic.py").unlink(), "heuristic.py not found"),
    (_heuristic("    raise KeyError('nope')"), "choose_literal raised KeyError"),
    (_heuristic("    return 0"), "choose_literal returned 0"),
    (_heuristic("    return 'x1'"), "choose_literal returned 'x1'"),
    (_heuristic("    return next(iter(assignment), clauses[0][0]) if assignment else 1\n"),
     "is already assigned"),
    # Editing the clause list the solver hands over produces wrong answers, which are caught.
    (_heuristic("    lit = clauses[0][0]\n    clauses.clear()\n    return lit"), "violates clause"),
    (_heuristic("    clauses += [(1,), (-1,)]\n    return clauses[0][0]"),
     "reported unsatisfiable, but it is satisfiable"),
])
def test_broken_heuristic_is_invalid(breakage, reason: str) -> None:
    assert_invalid(TASK, breakage, reason)
