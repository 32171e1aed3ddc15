"""Helpers for the tests of tasks that train with torch or JAX: the task's own Python, quick pipeline
runs, loader fixtures.

These tasks need torch or JAX, which live only in each task's cached environment, so anything that
imports them runs in a subprocess with that environment's python.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlgym_tui.core.env import ResearchEnv
from mlgym_tui.core.evaluation import run_evaluation
from mlgym_tui.core.task_sources import load_task
from mlgym_tui.core.venvs import ensure_venv

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Nothing in these tests may reach the Hugging Face hub: the fixtures are local.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def task_python(task_id: str) -> Path:
    """The python of the task's environment (built on first use, then cached)."""
    return ensure_venv(load_task(task_id).requirements) / "bin" / "python"


def run_task_python(task_id: str, args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
                    timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the task's python with ``args`` (from the task folder unless ``cwd``)."""
    task = load_task(task_id)
    full_env = {**os.environ, **OFFLINE_ENV, **(env or {})}
    return subprocess.run([str(task_python(task_id)), *args], cwd=cwd or task.dir, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def prepare_full(task_id: str, out: Path, env: dict[str, str], tmp: Path) -> subprocess.CompletedProcess[str]:
    """``prepare_data.py --out OUT --full`` with ``env`` pointing the real loader at a local fixture."""
    task = load_task(task_id)
    assert task.data.prepare
    hf_home = {"HF_HOME": str(tmp / "hf-home"), "HF_DATASETS_CACHE": str(tmp / "hf-datasets")}
    return run_task_python(task_id, [task.data.prepare, "--out", str(out), "--full"], env={**hf_home, **env})


def make_fixture(task_id: str, script: str, out: Path) -> None:
    """Build a tiny local copy of the real data set with ``fixtures/SCRIPT`` (run in the task's python)."""
    proc = run_task_python(task_id, [str(FIXTURES / script), str(out)], cwd=out.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]


def pipeline(task_id: str, commands: list[str],
             private: Callable[[Path], Path] | None = None) -> tuple[str, dict[str, Any]]:
    """A fresh episode on the offline data: run ``commands`` in the shell, then validate.

    Returns the validation's observation and evaluation info; asserts every command exited 0. With
    ``private``, the evaluation runs (through the same runtime call as ``validate``) on the private data
    that ``private(real_private_folder)`` returns instead, e.g. a shorter held-out set for a quick check.
    """
    env = ResearchEnv(task_id)
    try:
        env.reset(seed=0)
        for command in commands:
            obs, _, _, _, info = env.step(command)
            assert info["exit_code"] == 0, f"{command!r} failed:\n{obs[-3000:]}"
        if private is None:
            obs, _, _, _, info = env.step("validate")
            return obs, info["evaluation"]
        assert env.runtime is not None and env._prepared is not None and env._prepared.private is not None
        assert env._python is not None
        evaluation = run_evaluation(env.task, env.runtime, env.steps, private(env._prepared.private), env._python)
        return evaluation.error or "", {"valid": evaluation.valid, "metrics": dict(evaluation.metrics),
                                        "score": evaluation.score, "error": evaluation.error}
    finally:
        env.close()


def assert_invalid_cases(task_id: str, cases: list[tuple[Any, str]], setup: list[str] | None = None) -> None:
    """One episode: run ``setup`` commands, then for each (breakage, reason) break the workspace and
    validate; each must be scored invalid with ``reason`` in what the agent sees (no traceback)."""
    env = ResearchEnv(task_id)
    try:
        env.reset(seed=0)
        assert env.runtime is not None
        ws = Path(env.runtime.workspace)
        for command in setup or []:
            obs, _, _, _, info = env.step(command)
            assert info["exit_code"] == 0, f"{command!r} failed:\n{obs[-3000:]}"
        for breakage, reason in cases:
            breakage(ws)
            obs, reward, terminated, _, info = env.step("validate")
            evaluation = info["evaluation"]
            assert evaluation["valid"] is False and evaluation["score"] is None, (reason, evaluation)
            assert reward == 0.0 and not terminated
            assert obs.startswith("Validation invalid"), obs
            assert reason in obs, (reason, obs)
            assert "Traceback" not in obs, obs
    finally:
        env.close()
