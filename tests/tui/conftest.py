"""Workbench test fixtures: stable settings, a private config folder, a runs folder per test."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import pytest

from mlgym_tui.tui.settings import WorkbenchSettings


@pytest.fixture(autouse=True)
def private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """User settings and themes go to a temporary folder, never the developer's home."""
    folder = tmp_path / "config"
    monkeypatch.setenv("MLGYM_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    return tmp_path / "runs"


@pytest.fixture
def settings(runs: Path) -> WorkbenchSettings:
    return WorkbenchSettings.for_tests(runs_dir=runs)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests in a fresh event loop (Pilot tests), without an extra plugin."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True


@pytest.fixture(autouse=True)
def private_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Replay's trajectory indexes go to a temporary folder, never the developer's cache."""
    folder = tmp_path / "index"
    monkeypatch.setattr("mlgym_tui.core.trajectory_index.index_dir", lambda: folder)
    return folder
