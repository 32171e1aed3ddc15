"""Snapshot fixtures: a fixed world (one task, two recorded runs, a fixed config path, relative paths)
so every screenshot is identical on every machine."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.snapshots.episode_events import episode_events, write_run

PROJECT = Path(__file__).resolve().parents[2]
CONFIG = "/nonexistent/mlgym-tui-config"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """cwd with ``tasks/prisonersDilemma`` and ``runs/`` holding two finished runs."""
    tasks = tmp_path / "tasks"
    shutil.copytree(PROJECT / "tasks" / "prisonersDilemma", tasks / "prisonersDilemma")
    monkeypatch.setenv("MLGYM_TASKS_DIR", str(tasks))
    monkeypatch.setenv("MLGYM_CONFIG_DIR", CONFIG)
    monkeypatch.chdir(tmp_path)
    runs = Path("runs")
    older = write_run(runs / "prisonersDilemma" / "baseline" / "20231114T220000Z-s0", episode_events(),
                      agent="baseline", score=2.393591)
    newer = write_run(runs / "prisonersDilemma" / "sweep" / "20231114T221320Z-s0", episode_events())
    os.utime(older / "trajectory.jsonl", (1_700_000_000, 1_700_000_000))
    os.utime(newer / "trajectory.jsonl", (1_700_000_100, 1_700_000_100))
    monkeypatch.setattr("mlgym_tui.tui.screens.home.available_agents", lambda: ["baseline", "default", "sweep"])
    return tmp_path
