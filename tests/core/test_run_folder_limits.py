"""The run folder under stress: a full disk, and secrets that reach the event stream."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.core.trajectory import RESERVE_FILE, TrajectoryRecorder, read_trajectory
from tests.helpers import PROJECT


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs (root only: CI runs as root)."""
    if os.getuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "small"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_ends_the_episode_as_exit_runtime_with_a_result_and_complete_lines(small_disk: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mlgym_tui.cli", "run", "prisonersDilemma", "--agent", "tests.helpers:ChattyAgent",
         "--out", str(small_disk)],
        capture_output=True, text=True, timeout=300, cwd=PROJECT, env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stderr
    folder = next(small_disk.rglob("trajectory.jsonl")).parent
    result = json.loads((folder / "result.json").read_text())
    assert result["exit_status"] == "exit_runtime"
    assert "No space left on device" in proc.stderr
    raw = (folder / "trajectory.jsonl").read_bytes()
    assert raw.endswith(b"\n")
    lines = [json.loads(line) for line in raw.splitlines()]  # every line complete
    assert lines[-1]["kind"] == "episode_ended" and lines[-1]["exit_status"] == "exit_runtime"
    assert read_trajectory(folder).problems == []
    assert not (folder / RESERVE_FILE).exists()


def test_secret_values_never_reach_the_run_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "sk-live-" + uuid.uuid4().hex
    monkeypatch.setenv("MY_SERVICE_API_KEY", key)
    recorder = TrajectoryRecorder(tmp_path / "trajectory.jsonl", {"config": {"note": f"key={key}"}})
    recorder(Event(EventKind.OBSERVATION, 1, {"text": f"the key is {key}\nand quoted \"{key}\"", "exit_code": 0}))
    recorder(Event(EventKind.THOUGHT, 2, {"text": f"{key[:10]} is only a prefix"}))
    recorder.close()
    text = (tmp_path / "trajectory.jsonl").read_text()
    assert key not in text and text.count("[REDACTED]") == 3
    assert key[:10] in text  # a prefix alone is not the secret
