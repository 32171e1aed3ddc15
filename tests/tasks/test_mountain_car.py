"""rlMountainCarContinuous: the baseline trains and reproduces its score; broken submissions are invalid."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tasks.common import assert_invalid, run_baseline, validate_broken

TASK = "rlMountainCarContinuous"


@pytest.mark.slow
def test_baseline_reproduces_recorded_score(tmp_path: Path) -> None:
    result = run_baseline(TASK, tmp_path)
    runs = list(tmp_path.rglob("result.json"))[0].parent
    assert sorted(p.name for p in (runs / "workspace" / "checkpoints").iterdir()) == [
        f"seed_{k}" for k in range(5)]
    assert result["submission"]["metrics"]["Reward Std"] > 0


def _checkpoints(ws: Path, same: bool = False, count: int = 5) -> None:
    for k in range(count):
        folder = ws / "checkpoints" / f"seed_{k}"
        folder.mkdir(parents=True)
        (folder / "weights.txt").write_text("same" if same else str(k))


def _policy(act_body: str, same: bool = False, count: int = 5):
    def write(ws: Path) -> None:
        _checkpoints(ws, same, count)
        (ws / "policy.py").write_text(
            "import math\n\ndef load_policy(folder):\n"
            "    def act(observation):\n" + act_body + "\n    return act\n")
    return write


@pytest.mark.parametrize("breakage, reason", [
    (lambda ws: (ws / "policy.py").unlink(), "policy.py not found"),
    (lambda ws: None, "checkpoints/seed_0, checkpoints/seed_1"),  # never trained
    (_policy("        return 0.5", count=3), "checkpoints/seed_3, checkpoints/seed_4 not found"),
    (_policy("        return 0.5", same=True), "checkpoints/seed_1 is identical to checkpoints/seed_0"),
    (_policy("        raise ValueError('no')"), "the policy raised ValueError: no"),
    (_policy("        return math.nan"), "the policy returned nan"),
    (_policy("        return [0.1, 0.2]"), "must return one finite number"),
    (_policy("        return 'left'"), "the policy returned 'left'"),
    (lambda ws: (_checkpoints(ws), (ws / "policy.py").write_text("def act(o):\n    return 0\n")),
     "does not define a function load_policy"),
    (lambda ws: (_checkpoints(ws), (ws / "policy.py").write_text("def load_policy(f):\n    return 3\n")),
     "returned int, not a function of the observation"),
])
def test_broken_submission_is_invalid(breakage, reason: str) -> None:
    assert_invalid(TASK, breakage, reason)


def test_a_hand_written_controller_scores_through_the_same_path() -> None:
    """Any callable from load_policy is accepted: pushing with the velocity reaches the flag."""
    obs, evaluation = validate_broken(TASK, _policy("        return 1.0 if observation[1] >= 0 else -1.0"))
    assert evaluation["valid"], obs
    assert 85 < evaluation["metrics"]["Reward Mean"] < 100 and evaluation["metrics"]["Reward Std"] == 0
