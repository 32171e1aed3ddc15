"""`mlgym-tui run` end to end, as a user runs it: exit codes, run folder, crash safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mlgym_tui.core.task_sources import load_task
from tests.helpers import PROJECT, cli, read_jsonl


def only_run_folder(out: Path) -> Path:
    folders = [p.parent for p in out.rglob("trajectory.jsonl")]
    assert len(folders) == 1, folders
    return folders[0]


def test_baseline_run_reproduces_the_recorded_score(tmp_path: Path) -> None:
    proc = cli("run", "prisonersDilemma", "--agent", "baseline", "--backend", "local", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    folder = only_run_folder(tmp_path)
    assert f"run folder: {folder}" in proc.stdout
    records = read_jsonl(folder / "trajectory.jsonl")
    assert records[0]["kind"] == "header" and records[0]["task"] == "prisonersDilemma"
    assert records[-1]["kind"] == "episode_ended"
    result = json.loads((folder / "result.json").read_text())
    task = load_task("prisonersDilemma")
    assert abs(result["score"] - task.baseline_score) <= task.baseline.tolerance
    assert result["exit_status"] == "submitted"
    assert result["agent"][-1] == {"Score": result["score"]}  # MLGym-compatible shape
    assert (folder / "workspace" / "strategy.py").is_file()
    assert folder.relative_to(tmp_path).parts[:2] == ("prisonersDilemma", "baseline")


def test_sigkill_mid_episode_leaves_a_readable_trajectory(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    proc = subprocess.Popen([sys.executable, "-m", "mlgym_tui.cli", "run", "prisonersDilemma", "--agent",
                             "tests.helpers:SlowAgent", "--out", str(tmp_path), "-q"], env=env, cwd=PROJECT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    traj = None
    while time.monotonic() < deadline:
        found = list(tmp_path.rglob("trajectory.jsonl"))
        if found and '"sleep 120"' in found[0].read_text():
            traj = found[0]
            break
        time.sleep(0.1)
    assert traj is not None, proc.stderr.read().decode() if proc.poll() is not None else "no trajectory"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    records = read_jsonl(traj)  # every line parses
    kinds = [r["kind"] for r in records]
    assert kinds[0] == "header"
    assert "episode_ended" not in kinds
    assert records[-1]["kind"] == "action" and records[-1]["action"] == "sleep 120"
    assert any(r["kind"] == "observation" and "warming up" in r["text"] for r in records)


def test_unknown_task_is_a_usage_error(tmp_path: Path) -> None:
    proc = cli("run", "noSuchTask", "--out", str(tmp_path))
    assert proc.returncode == 2
    assert "unknown task 'noSuchTask'" in proc.stderr and "prisonersDilemma" in proc.stderr
    assert "Traceback" not in proc.stderr
