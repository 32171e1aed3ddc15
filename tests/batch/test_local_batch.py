"""The local executor end to end, through the CLI: completion, a killed worker, resume, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from mlgym_tui.batch.cleanup import processes_of_launch
from mlgym_tui.batch.job import LAUNCH_LABEL
from mlgym_tui.batch.ledger import STATUS_FILE, scan
from tests.batch.support import finished_per_cell, run_batch_cli, start_batch, wait_for_held

CELLS = 8


def _scored_runs(out: Path) -> int | None:
    try:
        from mlgym_tui.core.scoring import load_runs
    except ImportError:
        return None
    return len(load_runs([out]).runs)


def test_local_batch_completes(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    rc, summary, _ = run_batch_cli(out, "--workers", "2")
    assert rc == 0, summary
    assert summary["cells"] == CELLS and summary["finished"] == CELLS and not summary["incomplete"]
    assert finished_per_cell(out) == {cell: 1 for cell in finished_per_cell(out)} and len(finished_per_cell(out)) == CELLS
    for episode in summary["episodes"]:
        assert episode["exit_status"] == "submitted" and episode["score"] is not None
    manifest = json.loads((out / "batch.json").read_text())
    assert {c["state"] for c in manifest["cells"].values()} == {"finished"}


def test_killed_worker_is_marked_crashed_and_resume_reruns_only_it(tmp_path: Path) -> None:
    out, hold = tmp_path / "runs", tmp_path / "hold"
    hold.mkdir()
    (hold / "hold").touch()
    proc = start_batch(out, "--workers", "2", "--json", hold=hold)
    (_, victim), = wait_for_held(hold, 1)
    os.kill(victim, signal.SIGKILL)
    (hold / "hold").unlink()
    stdout, stderr = proc.communicate(timeout=240)
    summary = json.loads(stdout)
    assert proc.returncode == 1, stderr
    crashed = [e for e in summary["episodes"] if e["state"] == "crashed"]
    assert len(crashed) == 1 and str(victim) in crashed[0]["message"]
    assert summary["finished"] == CELLS - 1 and summary["incomplete"] == [crashed[0]["cell"]]
    marked = [r for r in scan(out) if r.mark is not None]
    assert [r.cell for r in marked] == [crashed[0]["cell"]] and marked[0].mark == "crashed"
    assert json.loads((marked[0].folder / STATUS_FILE).read_text())["status"] == "crashed"

    rc, again, _ = run_batch_cli(out, "--workers", "2")
    assert rc == 0
    assert again["skipped"] == CELLS - 1 and [e["cell"] for e in again["episodes"]] == [crashed[0]["cell"]]
    assert finished_per_cell(out) == {cell: 1 for cell in finished_per_cell(out)}
    assert len(finished_per_cell(out)) == CELLS
    assert marked[0].folder.exists()  # the evidence stays
    if (scored := _scored_runs(out)) is not None:
        assert scored == CELLS


def test_interrupted_batch_resumes_to_exactly_one_finished_run_per_cell(tmp_path: Path) -> None:
    out, hold = tmp_path / "runs", tmp_path / "hold"
    hold.mkdir()
    (hold / "hold").touch()
    proc = start_batch(out, "--workers", "2", "--json", hold=hold)
    wait_for_held(hold, 2)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    summary = json.loads(stdout)
    assert summary["interrupted"] and summary["incomplete"]
    stopped = [e for e in summary["episodes"] if e["state"] == "interrupted"]
    assert len(stopped) == 2 and all("Ctrl-C" in e["message"] for e in stopped)
    assert {r.mark for r in scan(out) if r.mark} == {"interrupted"}

    rc, again, _ = run_batch_cli(out, "--workers", "2")
    assert rc == 0 and not again["incomplete"]
    assert again["skipped"] + again["ran"] == CELLS
    counts = finished_per_cell(out)
    assert len(counts) == CELLS and set(counts.values()) == {1}
    assert len(list(out.rglob("result.json"))) == CELLS
    if (scored := _scored_runs(out)) is not None:
        assert scored == CELLS


@pytest.mark.parametrize("quiet", [True, False])
def test_plain_progress_and_quiet(tmp_path: Path, quiet: bool) -> None:
    args = ["--workers", "2", "--attempts", "1"] + (["--quiet"] if quiet else [])
    rc, summary, stderr = run_batch_cli(tmp_path / "runs", *args)
    assert rc == 0
    lines = [line for line in stderr.splitlines() if "✓" in line]
    assert (lines == []) if quiet else (len(lines) == summary["ran"])


def test_wall_time_guard_stops_hung_episodes_and_removes_what_they_left(tmp_path: Path) -> None:
    out, hold = tmp_path / "runs", tmp_path / "hold"
    hold.mkdir()
    (hold / "hold").touch()  # never lifted: the hold agent hangs until stopped
    grid = ["--tasks", "prisonersDilemma", "--agents", "tests.batch.agents:HoldAgent,tests.batch.agents:StubbornAgent",
            "--attempts", "1"]
    # The grace must cover an ordered end: the autosubmission runs the judge and a player process.
    proc = start_batch(out, "--workers", "2", "--episode-timeout", "6", "--grace", "20", "--json", hold=hold, grid=grid)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1, stderr
    summary = json.loads(stdout)
    states = {e["agent"].rpartition(":")[2]: e for e in summary["episodes"]}
    # SIGTERM ends the hold agent's episode in order; the stubborn one ignores it and is killed.
    assert states["HoldAgent"]["state"] == "timeout" and states["HoldAgent"]["exit_status"] == "exit_interrupted"
    assert states["StubbornAgent"]["state"] == "timeout" and states["StubbornAgent"]["exit_status"] is None
    runs = scan(out)
    assert sorted(r.mark for r in runs) == ["timeout", "timeout"]
    for run in runs:
        assert run.launch and not processes_of_launch(run.launch), "a sandbox process outlived its episode"


def test_docker_episodes_leave_no_container_after_a_kill_and_ctrl_c(tmp_path: Path) -> None:
    from tests.conftest import require_docker

    require_docker()
    import docker

    out, hold = tmp_path / "runs", tmp_path / "hold"
    hold.mkdir()
    (hold / "hold").touch()
    grid = ["--tasks", "prisonersDilemma", "--agents", "tests.batch.agents:HoldAgent", "--attempts", "2"]
    proc = start_batch(out, "--workers", "2", "--backend", "docker", "--json", hold=hold, grid=grid)
    (_, victim), _ = wait_for_held(hold, 2, timeout=180)
    os.kill(victim, signal.SIGKILL)  # this episode cannot close its container: the batch must
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)  # this one closes its own, in order
    stdout, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 130, stderr
    assert sorted(e["state"] for e in json.loads(stdout)["episodes"]) == ["crashed", "interrupted"]
    client = docker.from_env()
    for run in scan(out):
        assert run.mark in ("crashed", "interrupted")
        label = {"label": f"{LAUNCH_LABEL}={run.launch}"}
        assert client.containers.list(all=True, filters=label) == []
        assert client.volumes.list(filters=label) == []
