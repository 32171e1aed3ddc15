"""Faults on the docker backend: no daemon, the container killed mid-episode, a fork bomb, a memory hog.
Each must end in a clear state — a one-line error, an ``exit_runtime`` episode with its trajectory, or
a shell that still answers — and leave no container behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlgym_tui.core.runtime import RuntimeSettings
from mlgym_tui.core.runtime.docker import LABEL_MANAGED, LABEL_OWNER, DockerRuntime, owner_label
from tests.conftest import require_docker
from tests.helpers import PROJECT, cli, read_jsonl


def test_no_daemon_is_a_one_line_error_suggesting_the_local_backend(tmp_path: Path) -> None:
    proc = cli("run", "prisonersDilemma", "--backend", "docker", "--out", str(tmp_path), "-q",
               env={"DOCKER_HOST": f"unix://{tmp_path}/no-daemon.sock"})
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("mlgym-tui: error:")]
    assert len(errors) == 1 and "--backend local" in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr


def leftovers(client, owner: str) -> list[str]:  # noqa: ANN001
    found = client.containers.list(all=True, filters={"label": f"{LABEL_OWNER}={owner}"})
    volumes = client.volumes.list(filters={"label": f"{LABEL_OWNER}={owner}"})
    return [c.name for c in found] + [v.name for v in volumes]


def start_slow_episode(out: Path) -> tuple[subprocess.Popen[str], Path]:
    """A CLI run on docker whose agent is in the middle of ``sleep 120``."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlgym_tui.cli", "run", "prisonersDilemma", "--agent", "tests.helpers:SlowAgent",
         "--backend", "docker", "--out", str(out), "-q"],
        env=env, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        found = list(out.rglob("trajectory.jsonl"))
        if found and '"sleep 120"' in found[0].read_text():
            time.sleep(0.3)  # the command is on its way into the shell
            return proc, found[0]
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(proc.communicate()[1] or "no trajectory")


@pytest.mark.docker
@pytest.mark.slow
def test_container_killed_mid_episode_ends_it_cleanly(tmp_path: Path) -> None:
    require_docker()
    import docker

    client = docker.from_env()
    proc, traj = start_slow_episode(tmp_path)
    try:
        owner = owner_label(proc.pid)
        episode = client.containers.list(filters={"label": [f"{LABEL_OWNER}={owner}", "mlgym-tui.role=episode"]})
        assert len(episode) == 1
        episode[0].kill()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, err
    assert "invalid (exit_runtime)" in out
    records = read_jsonl(traj)
    assert any(r["kind"] == "observation" and "warming up" in r.get("text", "") for r in records)
    end = records[-1]
    assert end["kind"] == "episode_ended" and end["exit_status"] == "exit_runtime"
    assert "container stopped" in end["message"], end
    result = json.loads((traj.parent / "result.json").read_text())
    assert result["exit_status"] == "exit_runtime"
    assert leftovers(client, owner) == []


@pytest.mark.docker
@pytest.mark.slow
def test_ctrl_c_mid_episode_removes_the_container(tmp_path: Path) -> None:
    require_docker()
    import docker

    client = docker.from_env()
    proc, traj = start_slow_episode(tmp_path)
    owner = owner_label(proc.pid)
    try:
        assert leftovers(client, owner) != []
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert read_jsonl(traj)[-1]["exit_status"] == "exit_interrupted"
    assert leftovers(client, owner) == []


@pytest.fixture
def small_runtime(request: pytest.FixtureRequest):  # noqa: ANN201
    require_docker()
    runtime = DockerRuntime(RuntimeSettings(**request.param))
    runtime.start()
    yield runtime
    runtime.close()
    assert runtime.client is not None
    assert runtime.client.containers.list(all=True, filters={"label": f"mlgym-tui.episode={runtime.episode}"}) == []


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("small_runtime", [{"pids_limit": 64}], indirect=True)
def test_a_fork_bomb_is_contained_by_the_pids_limit(small_runtime: DockerRuntime) -> None:
    runtime = small_runtime
    started = time.monotonic()
    result = runtime.run("bash -c 'bomb() { bomb | bomb & }; bomb; sleep 60'", timeout=5)
    assert result.timed_out or result.exit_code != 0
    assert time.monotonic() - started < 30
    stats = runtime.container.stats(stream=False)
    assert stats["pids_stats"].get("limit") in (64, None)
    after = runtime.run("echo alive; ls /proc | grep -c '^[0-9]'", timeout=20)
    assert after.output.splitlines()[0] == "alive", after.output
    assert int(after.output.splitlines()[1]) < 20  # the bomb is gone, not just paused
    runtime.check_alive()


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("small_runtime", [{"memory": "256m"}], indirect=True)
def test_a_memory_hog_is_contained_by_the_memory_limit(small_runtime: DockerRuntime) -> None:
    runtime = small_runtime
    hog = runtime.run("python3 -c \"b = bytearray(b'x') * (2 << 30); print('SUR' + 'VIVED')\"", timeout=60)
    assert hog.exit_code == 137 and "SURVIVED" not in hog.output, hog  # the kernel's OOM killer
    runtime.check_alive()
    assert runtime.run("echo alive", timeout=10).output == "alive\n"
    info = runtime.client.api.inspect_container(runtime.container.id)["HostConfig"]
    assert info["Memory"] == 256 << 20 and info["MemorySwap"] == 256 << 20


@pytest.mark.docker
@pytest.mark.slow
def test_image_prune_stale_removes_leftovers_of_dead_processes_and_keeps_live_ones() -> None:
    require_docker()
    from mlgym_tui.core.runtime.docker import connect
    from mlgym_tui.core.runtime.docker_images import TASK_IMAGE

    client = connect()
    dead_owner = f"{owner_label().split(':')[0]}:999999999:1"
    labels = {LABEL_MANAGED: "1", LABEL_OWNER: dead_owner, "mlgym-tui.role": "episode"}
    stale = client.containers.create(TASK_IMAGE, ["true"], labels=labels)
    live = DockerRuntime(RuntimeSettings())
    live.create()
    try:
        proc = cli("image", "prune", "--stale")  # (plain `prune` would end other tests' live episodes)
        assert proc.returncode == 0 and "removed" in proc.stdout, proc.stderr
        names = [c.id for c in client.containers.list(all=True, filters={"label": LABEL_MANAGED}, ignore_removed=True)]
        assert stale.id not in names and live.container.id in names
    finally:
        live.close()
        with pytest.raises(Exception):  # noqa: B017 - already removed: any docker error will do
            stale.remove(force=True)
