"""battleOfSexes and blotto: the baseline reproduces its score; broken strategies are invalid, not crashes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tasks.common import assert_invalid, run_baseline

GAMES = ["battleOfSexes", "blotto"]


@pytest.mark.parametrize("task_id", GAMES)
def test_baseline_reproduces_recorded_score(task_id: str, tmp_path: Path) -> None:
    run_baseline(task_id, tmp_path)


def _write(body: str):
    return lambda ws: (ws / "strategy.py").write_text(body)


@pytest.mark.parametrize("task_id", GAMES)
@pytest.mark.parametrize("breakage, reason", [
    (lambda ws: (ws / "strategy.py").unlink(), "strategy.py not found"),
    (_write("def row_strategy(history):\n    raise RuntimeError('boom')\n"), "raised RuntimeError: boom"),
    (_write("import no_such_module\n"), "importing strategy.py failed: ModuleNotFoundError"),
    (_write("def other(history):\n    return 0\n"), "does not define a function row_strategy"),
])
def test_broken_strategy_is_invalid(task_id: str, breakage, reason: str) -> None:
    assert_invalid(task_id, breakage, reason)


def test_battle_of_sexes_rejects_a_move_outside_0_1() -> None:
    assert_invalid("battleOfSexes", _write("def row_strategy(history):\n    return 2\n"), "returned 2")


@pytest.mark.parametrize("body, reason", [
    ("return [20] * 5", "has 5 battlefields, not 6"),
    ("return [21] * 6", "sums to 126, not 120"),
    ("return [130, -10, 0, 0, 0, 0]", "negative number of soldiers"),
    ("return [20.0] * 6", "is not a sequence of 6 integers"),
    ("return None", "is not a sequence of 6 integers"),
])
def test_blotto_rejects_invalid_allocations(body: str, reason: str) -> None:
    assert_invalid("blotto", _write(f"def row_strategy(history):\n    {body}\n"), reason)
