"""rlBreakoutMinAtar and rlMetaMazeMisc (gymnax, JAX): a short PPO run writes a checkpoint the evaluation
scores, invalid policies are rejected with a reason, and (nightly) the full baselines reproduce."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tasks.common import run_baseline
from tests.tasks_torch_jax.support import assert_invalid_cases, pipeline

TASKS = ["rlBreakoutMinAtar", "rlMetaMazeMisc"]
pytestmark = pytest.mark.xdist_group("jax-tasks")


@pytest.mark.parametrize("task_id", TASKS)
def test_smoke_training_writes_a_checkpoint_the_evaluation_scores(task_id: str) -> None:
    obs, evaluation = pipeline(task_id, ["MLGYM_PROFILE=smoke python train.py"])
    assert evaluation["valid"], obs
    assert evaluation["metrics"]["Reward Mean"] >= 0.0 and "Reward Std" in evaluation["metrics"]


def _write(name: str, text: str):
    return lambda ws: (ws / name).write_text(text)


def _append(name: str, text: str):
    return lambda ws: (ws / name).write_text((ws / name).read_text() + text)


def test_invalid_policies_are_rejected_with_a_reason() -> None:
    assert_invalid_cases("rlBreakoutMinAtar", [
        (lambda ws: None, "checkpoint.pkl not found"),
        (_write("checkpoint.pkl", "not a pickle"), "checkpoint.pkl could not be read"),
        (lambda ws: (ws / "policy.py").unlink(), "policy.py not found"),
    ])


def test_policies_that_break_the_contract_are_rejected() -> None:
    # Fresh parameters stand in for a trained checkpoint; each case redefines act() at the end of
    # policy.py (the last definition wins).
    setup = ["python -c \"import pickle, jax, policy; pickle.dump({'params': policy.init(jax.random.key(0), 15, 4)},"
             " open('checkpoint.pkl', 'wb'))\""]
    assert_invalid_cases("rlMetaMazeMisc", [
        (_append("policy.py", "\ndef act(params, obs, carry, key):\n    return jnp.int32(7), carry\n"),
         "act returned an action outside 0..3"),
        (_append("policy.py", "\ndef act(params, obs, carry, key):\n    return jnp.float32(1.0), carry\n"),
         "act must return one integer action"),
        (_append("policy.py", "\ndef act(params, obs, carry, key):\n    return 1\n"),
         "must return a pair (action, carry)"),
        (_append("policy.py", "\ndef act(params, obs, carry, key):\n    raise KeyError('lost')\n"),
         "act(params, obs, carry, key) failed: KeyError"),
        (_write("policy.py", "def initial_carry(params):\n    return None\n"), "does not define a function act()"),
    ], setup=setup)


@pytest.mark.nightly
@pytest.mark.parametrize("task_id", TASKS)
def test_baseline_reproduces_recorded_score(task_id: str, tmp_path: Path) -> None:
    run_baseline(task_id, tmp_path, timeout=1800)
