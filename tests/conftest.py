"""Shared fixtures. Caches go to a per-session folder only when the caller has not chosen one, so a
developer's warm cache (venvs, prepared data) is reused and CI stays hermetic."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent


def docker_available() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=5)
        client.ping()
        return True
    except Exception:  # noqa: BLE001
        return False


def require_docker() -> None:
    """Skip without a daemon, unless MLGYM_REQUIRE_DOCKER=1 (CI), where a missing daemon is a failure."""
    if docker_available():
        return
    if os.environ.get("MLGYM_REQUIRE_DOCKER") == "1":
        pytest.fail("MLGYM_REQUIRE_DOCKER=1 but no Docker daemon answers")
    pytest.skip("no Docker daemon (set MLGYM_REQUIRE_DOCKER=1 to make this a failure)")


@pytest.fixture
def tasks_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty tasks folder the code under test reads instead of the project's."""
    root = tmp_path / "tasks"
    root.mkdir()
    monkeypatch.setenv("MLGYM_TASKS_DIR", str(root))
    return root


@pytest.fixture
def pd_task_copy(tasks_root: Path) -> Path:
    """A copy of prisonersDilemma in a private tasks folder, free to break."""
    dst = tasks_root / "prisonersDilemma"
    shutil.copytree(PROJECT / "tasks" / "prisonersDilemma", dst)
    return dst


@pytest.fixture
def no_sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The local backend as on a machine where bubblewrap cannot run (``MLGYM_SANDBOX=none``)."""
    from mlgym_tui.core.runtime import sandbox

    monkeypatch.setenv("MLGYM_SANDBOX", "none")
    sandbox.probe.cache_clear()
    yield
    monkeypatch.delenv("MLGYM_SANDBOX")
    sandbox.probe.cache_clear()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Build the task environment most tests share before any test starts: on a fresh machine its
    first build takes about a minute, and a test that happened to trigger it would spend its own
    time limit waiting for pip. Runs once, in the controlling process (xdist workers skip it)."""
    if hasattr(session.config, "workerinput"):
        return
    from mlgym_tui.core.task_sources import load_task
    from mlgym_tui.core.venvs import ensure_venv

    ensure_venv(load_task("prisonersDilemma").requirements)
