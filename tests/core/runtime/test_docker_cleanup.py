"""A SIGKILLed ``mlgym-tui run --backend docker`` leaves no container, volume or process behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlgym_tui.core.runtime.docker_daemon import LABEL_OWNER, LABEL_ROLE, owner_label
from mlgym_tui.core.runtime.proc_stat import descendants
from tests.conftest import require_docker
from tests.helpers import PROJECT

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _objects(owner: str) -> tuple[list, list]:
    import docker

    client = docker.from_env(timeout=30)
    try:
        label = f"{LABEL_OWNER}={owner}"
        for _ in range(5):
            try:
                return (client.containers.list(all=True, filters={"label": label}),
                        client.volumes.list(filters={"label": label}))
            except docker.errors.NotFound:  # removed between the listing and its inspection: look again
                time.sleep(0.1)
        raise AssertionError("containers kept vanishing while being listed")
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


def _slow_evaluation_task(tasks_root: Path, judge: str) -> None:
    """prisonersDilemma whose evaluation never ends: the judge itself in an evaluation container
    (``judge: sandbox``), or the judge on the host waiting on a strategy that sleeps in the player's
    container."""
    folder = tasks_root / "prisonersDilemma"
    shutil.copytree(PROJECT / "tasks" / "prisonersDilemma", folder)
    if judge == "sandbox":
        config = (folder / "task.yaml").read_text().replace("  player: player.py\n", "  judge: sandbox\n")
        (folder / "task.yaml").write_text(config)
        (folder / "evaluate.py").write_text("import time\n\ntime.sleep(600)\n")
    elif judge == "host-busy":  # the judge on the host, busy with no player to lose
        (folder / "evaluate.py").write_text("import time\n\ntime.sleep(600)\n")
    else:
        strategy = (folder / "strategy.py").read_text()
        (folder / "strategy.py").write_text("import time\n\ntime.sleep(600)\n" + strategy)


def _role_running(owner: str, role: str) -> bool:
    containers, _ = _objects(owner)
    return any(c.labels.get(LABEL_ROLE) == role and c.status == "running" for c in containers)


def _judging(pid: int) -> bool:
    return any("evaluate.py" in _cmdline(child) for child in _descendants(pid))


def _descendants(pid: int) -> list[int]:
    return [process.pid for process in descendants(pid)]


@pytest.mark.parametrize(("judge", "role"), [("sandbox", "evaluation"), ("host", "player"), ("host-busy", None)])
def test_sigkill_mid_evaluation_removes_the_evaluation_container_and_the_judge(
    judge: str, role: str | None, tasks_root: Path, tmp_path: Path
) -> None:
    """The evaluation container (or the player's) and the volume go within 5 s, and so do the judge on the
    host, its private copy of the submission, and every helper process."""
    require_docker()
    _slow_evaluation_task(tasks_root, judge)
    temp = tmp_path / "tmp"
    temp.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlgym_tui.cli", "run", "prisonersDilemma", "--backend", "docker",
         "--agent", "baseline", "--out", str(tmp_path / "runs")],
        cwd=PROJECT, env={**os.environ, "PYTHONPATH": str(PROJECT), "TMPDIR": str(temp)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        owner = owner_label(proc.pid)
        give_up = time.monotonic() + 240
        while not (_role_running(owner, role) if role else _judging(proc.pid)):
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < give_up, f"the episode never started its {role} container"
            time.sleep(0.2)
        time.sleep(1)  # the judge (host) is on its way or waiting; the evaluation is under way
        helpers = _descendants(proc.pid)  # the judge, its reapers: all must end
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        killed = time.monotonic()
        while time.monotonic() - killed < 5:
            if _objects(owner) == ([], []) and not _alive(helpers) and not any(temp.iterdir()):
                break
            time.sleep(0.2)
        assert _objects(owner) == ([], []), "a container or volume of the killed evaluation remains"
        assert not _alive(helpers), f"processes of the killed episode remain: {_alive(helpers)}"
        assert not any(temp.iterdir()), f"temp files remain: {sorted(temp.iterdir())}"
        assert time.monotonic() - killed < 5
    finally:
        if proc.poll() is None:
            proc.kill()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pids: list[int]) -> list[str]:
    return [f"{pid}: {_cmdline(pid)}" for pid in pids if Path(f"/proc/{pid}").exists() and _cmdline(pid)]
