"""The Gymnasium environment: registration, check_env on every task, rewards, invalid submissions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import mlgym_tui  # noqa: F401 - registers the tasks
from mlgym_tui.core.env import ResearchEnv
from mlgym_tui.core.events import EventBus, EventKind
from mlgym_tui.core.registration import env_id
from mlgym_tui.core.task_sources import load_task, task_ids

PROJECT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("first", ["mlgym_tui", "gymnasium"])
def test_tasks_are_registered_whichever_is_imported_first_without_importing_gymnasium_for_nothing(
    first: str,
) -> None:
    """``import mlgym_tui`` leaves Gymnasium (and numpy) unloaded until something imports it: the commands
    that never make an environment start faster; ``gymnasium.make`` works in either import order."""
    second = "gymnasium" if first == "mlgym_tui" else "mlgym_tui"
    code = (f"import sys, {first}\n"
            "print('gymnasium' in sys.modules)\n"
            f"import {second}\n"
            "import gymnasium as gym\n"
            "env = gym.make('mlgym/prisonersDilemma-v0', max_steps=4)\n"
            "print(env.spec.id, env.unwrapped.task.id)\n"
            "env.close()\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    loaded, made = proc.stdout.splitlines()
    assert loaded == str(first == "gymnasium")
    assert made == "mlgym/prisonersDilemma-v0 prisonersDilemma"


@pytest.mark.parametrize("task_id", task_ids(PROJECT / "tasks"))
def test_check_env_passes_for_every_registered_task(task_id: str) -> None:
    env = gym.make(env_id(task_id))
    try:
        check_env(env.unwrapped)
    finally:
        env.close()


def test_validate_rewards_gain_over_baseline_and_submit_terminates() -> None:
    bus = EventBus()
    seen: list = []
    bus.subscribe(seen.append)
    env = ResearchEnv("prisonersDilemma", bus=bus)
    try:
        obs, info = env.reset(seed=0)
        assert "Prisoner's Dilemma" in obs and info["steps_left"] == env.task.limits.max_steps
        # always defect: a different, deterministic score
        env.step("open strategy.py")
        obs, reward, terminated, truncated, info = env.step(
            "edit 15:29\ndef row_strategy(history):\n    return 0\nend_of_edit")
        assert "File updated" in obs, obs
        obs, reward, terminated, truncated, info = env.step("validate")
        assert not terminated and info["evaluation"]["valid"]
        # a validation reports 4 significant digits, and compares with the baseline rounded alike
        assert info["evaluation"]["score"] == round(info["evaluation"]["score"], 3)
        assert reward == pytest.approx(info["evaluation"]["score"] - round(env.task.baseline_score, 3))
        obs, reward, terminated, truncated, info = env.step("submit")
        assert terminated
        assert reward == pytest.approx(info["evaluation"]["score"] - env.task.baseline_score)
        kinds = [e.kind for e in seen]
        assert EventKind.VALIDATION in kinds and EventKind.SUBMISSION in kinds
    finally:
        env.close()


@pytest.mark.parametrize("body, reason", [
    ("def row_strategy(history):\n    raise ValueError('boom')", "raised ValueError: boom"),
    ("def row_strategy(history):\n    return 7", "returned 7"),
    ("def something_else(history):\n    return 0", "does not define a function row_strategy"),
])
def test_invalid_strategies_are_reported_not_crashing(body: str, reason: str) -> None:
    env = ResearchEnv("prisonersDilemma")
    try:
        env.reset(seed=0)
        Path(env.runtime.workspace, "strategy.py").write_text(body + "\n")
        obs, reward, terminated, truncated, info = env.step("validate")
        assert info["evaluation"]["valid"] is False and reward == 0.0
        assert "Validation invalid" in obs and reason in obs
    finally:
        env.close()


def test_missing_submission_file_is_reported() -> None:
    env = ResearchEnv("prisonersDilemma")
    try:
        env.reset(seed=0)
        env.step("rm strategy.py")
        obs, *_ = env.step("submit")
        assert "strategy.py not found" in obs
    finally:
        env.close()


def test_the_sandbox_keeps_the_evaluation_unwritable() -> None:
    env = ResearchEnv("prisonersDilemma")
    try:
        env.reset(seed=0)
        assert env.sandbox == "bwrap"
        obs, *_ = env.step("chmod u+w evaluate.py; echo 'print(\"{\\\"Score\\\": 5}\")' > evaluate.py")
        assert obs.count("Read-only file system") == 2
        obs, reward, *_ , info = env.step("validate")
        assert "tampered" not in obs and info["evaluation"]["score"] == round(env.task.baseline_score, 3)
    finally:
        env.close()


def test_tampering_with_the_evaluation_is_detected_without_a_sandbox(no_sandbox: None) -> None:
    env = ResearchEnv("prisonersDilemma")
    try:
        env.reset(seed=0)
        assert env.sandbox == "none"
        env.step("chmod u+w evaluate.py && echo 'print(\"{\\\"Score\\\": 5}\")' > evaluate.py")
        obs, reward, *_ , info = env.step("validate")
        assert "tampered" in obs and reward == 0.0
    finally:
        env.close()


def test_step_limit_truncates() -> None:
    env = ResearchEnv(task=load_task("prisonersDilemma"))
    try:
        env.reset(seed=0)
        truncated = False
        for _ in range(env.task.limits.max_steps):
            *_, truncated, _info = env.step("true")
        assert truncated
    finally:
        env.close()


def test_gym_make_takes_the_step_limit_and_info_tells_it() -> None:
    """The environment owns the step limit: ``gym.make(id, max_steps=N)`` truncates after N steps."""
    env = gym.make(env_id("prisonersDilemma"), max_steps=2)
    try:
        _obs, info = env.reset(seed=0)
        assert (info["max_steps"], info["steps_left"]) == (2, 2)
        *_, truncated, info = env.step("true")
        assert not truncated and info["steps_left"] == 1
        *_, truncated, info = env.step("true")
        assert truncated and info["steps_left"] == 0
    finally:
        env.close()
    with pytest.raises(ValueError, match="at least 1"):
        ResearchEnv(task=load_task("prisonersDilemma"), max_steps=0)


def test_errors_of_an_evaluation_with_private_data_show_only_their_last_line(tmp_path: Path) -> None:
    """A judge with hidden test data may mention what its player saw in its errors: then the agent sees
    one short line of the judge's error and none of the player's own error output."""
    from mlgym_tui.core.evaluation import PRIVATE_ERROR_CHARS, run_evaluation
    from mlgym_tui.core.runtime.local import LocalRuntime
    from mlgym_tui.core.venvs import ensure_venv

    task = load_task("prisonersDilemma")
    python = ensure_venv(task.requirements) / "bin" / "python"
    private = tmp_path / "private"
    private.mkdir()
    rt = LocalRuntime()
    rt.start()
    try:
        rt.write_file(f"{rt.workspace}/evaluate.py", (task.dir / "evaluate.py").read_bytes())
        rt.write_file(f"{rt.workspace}/player.py", (task.dir / "player.py").read_bytes())
        rt.write_file(f"{rt.workspace}/strategy.py",
                      b"import sys\nprint('LABELS 1 0 1 1 0', file=sys.stderr)\nraise SystemExit('x' * 1000)\n")
        leaked = run_evaluation(task, rt, 1, private, python)
        shown = run_evaluation(task, rt, 1, None, python)
    finally:
        rt.close()
    assert not leaked.valid and "LABELS" not in (leaked.error or "")
    assert len(leaked.error or "") < PRIVATE_ERROR_CHARS + 100
    assert "LABELS" in (shown.error or "")


def test_the_session_ends_when_the_environment_truncates(tmp_path: Path) -> None:
    """``--max-steps`` reaches the environment: the episode ends there, and the header says so."""
    from mlgym_tui.core.runner import EpisodeSpec, run_episode
    from mlgym_tui.core.session import SessionLimits
    from tests.helpers import SteadyAgent, read_jsonl

    spec = EpisodeSpec(task=load_task("prisonersDilemma"), agent=SteadyAgent(steps=50), out=tmp_path,
                       limits=SessionLimits(max_steps=3))
    folder, result = run_episode(spec)
    assert result.exit_status == "autosubmission_max_steps"
    assert result.steps == 3
    started = next(e for e in read_jsonl(folder / "trajectory.jsonl") if e.get("kind") == "episode_started")
    assert started["max_steps"] == 3
