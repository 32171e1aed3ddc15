"""The red-team suite: each test is one attack from issue #21, made as an agent would make it (actions
through :class:`ResearchEnv`), on the local backend and on the docker backend against the real daemon.
Every attack must end invalid or tampered with a clear reason the agent sees, and never score above the
honest baseline."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from mlgym_tui.core.env import ResearchEnv
from tests.conftest import require_docker

BACKENDS = ["local", pytest.param("docker", marks=[pytest.mark.docker])]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "docker":
        require_docker()
    return request.param


@contextmanager
def episode(task_id: str, backend: str) -> Iterator[ResearchEnv]:
    env = ResearchEnv(task_id, backend=backend)
    env.reset(seed=0)
    try:
        yield env
    finally:
        env.close()


Step = Callable[[str], tuple[str, float, dict[str, Any]]]


def stepper(env: ResearchEnv) -> Step:
    """``act(action) -> (observation, reward, info)``."""

    def act(action: str) -> tuple[str, float, dict[str, Any]]:
        obs, reward, _terminated, _truncated, info = env.step(action)
        return obs, reward, info

    return act


def write(act: Step, path: str, text: str) -> None:
    """Write a file the way an agent does it in the shell (a heredoc)."""
    obs, _, info = act(f"cat > {path} <<'MLGYM_EOF'\n{text}\nMLGYM_EOF")
    assert info["exit_code"] == 0, obs


def agent_reads(act: Step, path: str) -> bool:
    """Whether the agent's shell can read ``path`` (the local backend without a sandbox can)."""
    obs, _, _ = act(f"test -r {path} && echo READABLE || echo HIDDEN")
    return "READABLE" in obs
