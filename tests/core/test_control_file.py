"""Controlling a running episode from another process through its run folder's ``control.jsonl``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlgym_tui.core.control_file import CONTROL_FILE, ControlRefused, send_control, wait_for_ack
from tests.helpers import PROJECT, cli, read_jsonl


def _start_run(out: Path) -> tuple[subprocess.Popen[str], Path]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlgym_tui.cli", "run", "prisonersDilemma", "--agent", "tests.helpers:SteadyAgent",
         "--max-steps", "400", "--out", str(out), "-q"],
        env=env, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = list(out.glob("*/*/*/trajectory.jsonl"))
        if found and any(e.get("kind") == "observation" for e in _events(found[0].parent)[1:]):
            return proc, found[0].parent
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"the episode did not start: {proc.communicate()[0]}")


def _events(folder: Path) -> list[dict]:
    lines = (folder / "trajectory.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.endswith("}")]


def _last_step(folder: Path) -> int:
    return max(e.get("step", 0) for e in _events(folder)[1:])


@pytest.mark.slow
def test_pause_interject_resume_and_stop_a_running_episode(tmp_path: Path) -> None:
    proc, folder = _start_run(tmp_path / "runs")
    try:
        pause = send_control(folder, "pause")
        applied = wait_for_ack(folder, pause["id"], timeout=60)
        assert applied is not None and applied["action"] == "pause" and applied["via"] == "control"
        held = _last_step(folder)
        time.sleep(1.5)
        assert _last_step(folder) <= held + 1, "the episode went on while paused"

        send_control(folder, "interject", "try a grudger")
        resume = send_control(folder, "resume")
        assert wait_for_ack(folder, resume["id"], timeout=60) is not None
        deadline = time.monotonic() + 60
        while not any("heard: try a grudger" in str(e.get("action")) for e in _events(folder)):
            assert time.monotonic() < deadline, "the interjection never reached the agent"
            time.sleep(0.2)

        stop = send_control(folder, "stop")
        assert wait_for_ack(folder, stop["id"], timeout=60) is not None
        output, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    events = _events(folder)
    kinds = [e["kind"] for e in events]
    actions = [e.get("action") for e in events if e["kind"] == "intervention"]
    assert actions == ["pause", "interject", "resume", "stop"], actions
    assert "submission" in kinds, "stop and submit ends with a submission"
    assert kinds[-1] == "episode_ended"
    assert (folder / "result.json").is_file(), output
    # Nothing more once it has ended: a clear one-line refusal, exit 2.
    with pytest.raises(ControlRefused, match="finished"):
        send_control(folder, "pause")
    done = cli("control", str(folder), "resume")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "finished" in done.stderr


def test_bad_commands_get_one_line(tmp_path: Path) -> None:
    not_run = cli("control", str(tmp_path), "pause")
    assert not_run.returncode == 2 and "not a run folder" in not_run.stderr
    run = tmp_path / "run"
    run.mkdir()
    (run / "trajectory.jsonl").write_text('{"kind": "header"}\n')
    empty = cli("control", str(run), "interject")
    assert empty.returncode == 2 and "needs the text" in empty.stderr
    assert not (run / CONTROL_FILE).exists()
    sent = cli("control", str(run), "interject", "hello")
    assert sent.returncode == 0, sent.stderr
    [record] = read_jsonl(run / CONTROL_FILE)
    assert record["command"] == "interject" and record["text"] == "hello" and record["id"]


def test_concurrent_senders_never_interleave_lines(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "trajectory.jsonl").write_text('{"kind": "header"}\n')
    text = "x" * 3000
    procs = [
        subprocess.Popen([sys.executable, "-c",
                          "import sys; from pathlib import Path; from mlgym_tui.core.control_file import send_control\n"
                          f"for _ in range(40): send_control(Path({str(run)!r}), 'interject', {text!r})"],
                         env={**os.environ, "PYTHONPATH": str(PROJECT)})
        for _ in range(4)
    ]
    for p in procs:
        assert p.wait(timeout=60) == 0
    records = read_jsonl(run / CONTROL_FILE)
    assert len(records) == 160 and all(r["text"] == text for r in records)
