"""What a task's sandbox offers the agent, as MLGym's does: a working ``pip``, the generic scientific
stack in the game tasks (their strategies may import numpy or scikit-learn), torch (CPU) beside it in
every ML task (MLGym's generic environment has it for all of them), and evaluation files that
the editing tools refuse to change, on the local and the docker backend."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlgym_tui.core.env import ResearchEnv
from mlgym_tui.core.venvs import built_elsewhere, relocate
from tests.conftest import require_docker

GAMES = ("prisonersDilemma", "blotto", "battleOfSexes")
IMPORTS = "python -c 'import numpy, pandas, scipy, sklearn; print(\"stack\", numpy.__version__)'"
ML_WITHOUT_TORCH_BEFORE = ("imageClassificationFMnist", "regressionKaggleHousePrice", "rlMountainCarContinuous")
ML_IMPORTS = ("python -c 'import torch, numpy, pandas, scipy, sklearn, gymnasium, datasets; "
              "print(\"stack\", torch.__version__, torch.tensor([1.0, 2.0]).sum().item())'")


@pytest.fixture
def local_env() -> Iterator[ResearchEnv]:
    env = ResearchEnv("prisonersDilemma", backend="local")
    env.reset(seed=0)
    try:
        yield env
    finally:
        env.close()


@pytest.mark.parametrize("task", GAMES)
def test_game_sandboxes_have_pip_and_the_scientific_stack(task: str) -> None:
    env = ResearchEnv(task, backend="local")
    try:
        env.reset(seed=0)
        obs, *_, info = env.step("pip --version")
        assert info["exit_code"] == 0 and obs.startswith("pip "), obs
        obs, *_, info = env.step(IMPORTS)
        assert info["exit_code"] == 0 and "stack " in obs, obs
    finally:
        env.close()


@pytest.mark.xdist_group("torch-tasks")
@pytest.mark.parametrize("task", ML_WITHOUT_TORCH_BEFORE)
def test_ml_task_sandboxes_have_torch_beside_the_scientific_stack(task: str) -> None:
    env = ResearchEnv(task, backend="local")
    try:
        env.reset(seed=0)
        obs, *_, info = env.step(ML_IMPORTS)
        assert info["exit_code"] == 0 and "stack 2.13.0" in obs and obs.rstrip().endswith(" 3.0"), obs
        obs, *_, info = env.step("pip --version")
        assert info["exit_code"] == 0 and obs.startswith("pip "), obs
    finally:
        env.close()


def _edit_evaluate_refused(env: ResearchEnv) -> None:
    path = Path(env.runtime.workspace, "evaluate.py") if env.backend == "local" else None
    before = env.runtime.read_file(f"{env.runtime.workspace}/evaluate.py")
    env.step("open evaluate.py")
    for action in ("edit 1:1\n# mine\nend_of_edit", "insert 0\n# mine\nend_of_insert"):
        obs, *_, info = env.step(action)
        assert "read-only" in obs and info["exit_code"] == 1, obs
    assert env.runtime.read_file(f"{env.runtime.workspace}/evaluate.py") == before
    if path is not None:
        assert path.stat().st_mode & 0o222 == 0  # and nobody may write it by its permissions


def test_the_editing_tools_refuse_the_evaluation_file_on_local(local_env: ResearchEnv) -> None:
    _edit_evaluate_refused(local_env)


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_the_shell_cannot_write_the_evaluation_file_on_local(local_env: ResearchEnv) -> None:
    """Under the local sandbox the task's read-only files are bound read-only, so even a root shell
    cannot change them."""
    before = local_env.runtime.read_file(f"{local_env.runtime.workspace}/evaluate.py")
    obs, *_ = local_env.step("echo '# mine' >> evaluate.py; echo rc=$?; rm -f evaluate.py; ls evaluate.py")
    assert "rc=0" not in obs and obs.rstrip().endswith("evaluate.py"), obs
    assert local_env.runtime.read_file(f"{local_env.runtime.workspace}/evaluate.py") == before


@pytest.mark.docker
@pytest.mark.slow
def test_docker_sandbox_pip_stack_and_read_only_evaluation_file(pd_task_copy: Path) -> None:
    require_docker()
    env = ResearchEnv("prisonersDilemma", backend="docker")
    env.reset(seed=0)
    try:
        obs, *_, info = env.step("pip --version")
        assert info["exit_code"] == 0 and obs.startswith("pip "), obs
        obs, *_, info = env.step(IMPORTS)
        assert info["exit_code"] == 0 and "stack " in obs, obs
        _edit_evaluate_refused(env)
        obs, *_ = env.step("echo '# mine' >> evaluate.py; echo rc=$?")
        assert "rc=1" in obs and "Permission denied" in obs
    finally:
        env.close()


@pytest.mark.slow
def test_a_moved_environment_gets_a_working_pip_again(tmp_path: Path) -> None:
    """Environments built by earlier versions in a temporary folder and renamed had a ``pip`` whose first
    line named that folder; ``ensure_venv`` now builds in place and repairs such an environment."""
    built, final = tmp_path / "venvs" / "abc.tmp1", tmp_path / "venvs" / "abc"
    subprocess.run([sys.executable, "-m", "venv", str(built)], check=True, capture_output=True)
    built.rename(final)
    assert built_elsewhere(final) == str(built)
    broken = subprocess.run(["sh", "-c", f"'{final}/bin/pip' --version"], capture_output=True)
    assert broken.returncode != 0  # its interpreter line names a folder that no longer exists
    relocate(final)
    assert built_elsewhere(final) is None
    fixed = subprocess.run([str(final / "bin" / "pip"), "--version"], capture_output=True, text=True)
    assert fixed.returncode == 0 and str(final) in fixed.stdout
