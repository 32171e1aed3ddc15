"""A SIGKILLed ``mlgym-tui run --backend docker`` leaves no container, volume or process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlgym_tui.core.runtime.docker_daemon import LABEL_OWNER, owner_label
from tests.conftest import require_docker
from tests.helpers import PROJECT

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _objects(owner: str) -> tuple[list, list]:
    import docker

    client = docker.from_env(timeout=30)
    try:
        label = f"{LABEL_OWNER}={owner}"
        return (client.containers.list(all=True, filters={"label": label}),
                client.volumes.list(filters={"label": label}))
    finally:
        client.close()


def _running(pattern: str) -> int:
    proc = subprocess.run(["pgrep", "-f", "-c", f"^{pattern}$"], capture_output=True, text=True)
    return int(proc.stdout.strip() or 0)


def test_sigkill_mid_episode_removes_container_volume_and_processes(tmp_path: Path) -> None:
    require_docker()
    marker = str(33000 + os.getpid() % 1000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlgym_tui.cli", "run", "prisonersDilemma", "--backend", "docker",
         "--agent", "tests.helpers:OrphanAgent", "--out", str(tmp_path)],
        cwd=PROJECT, env={**os.environ, "PYTHONPATH": str(PROJECT), "ORPHAN_MARKER": marker},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        give_up = time.monotonic() + 240
        while _running(f"sleep {marker}[12]") < 2:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < give_up, "the episode never reached its long command"
            time.sleep(0.2)
        owner = owner_label(proc.pid)
        containers, volumes = _objects(owner)
        assert containers and volumes
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        killed = time.monotonic()
        while time.monotonic() - killed < 5:
            if _running(f"sleep {marker}[12]") == 0 and _objects(owner) == ([], []):
                break
            time.sleep(0.2)
        assert _running(f"sleep {marker}[12]") == 0
        assert _objects(owner) == ([], []), "a container or volume of the killed episode remains"
        assert time.monotonic() - killed < 5
    finally:
        if proc.poll() is None:
            proc.kill()
