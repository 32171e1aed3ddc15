"""The Ray executor on a real two-node cluster on this machine, started and torn down by the test.

Settings that work here: one ``RAY_AUTH_MODE`` for every ``ray start`` and the driver, nodes on 127.0.0.2
and 127.0.0.3 (127.0.0.1 would be replaced by the external address), explicit CPUs, memory and object
store per node, no dashboard; and ports that Ray would take at fixed numbers chosen free, so the test
can run beside another Ray on the same machine. Teardown stops this cluster's processes only.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlgym_tui.batch.ledger import scan
from tests.batch.support import (
    PROJECT,
    finished_per_cell,
    results_set,
    run_batch_cli,
    start_batch,
    wait_for_held,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]

RAY = str(Path(sys.executable).parent / "ray")
NODE = ["--memory=1500000000", "--object-store-memory=80000000", "--num-cpus=1", "--disable-usage-stats"]


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _node_ports(host: str) -> list[str]:
    """Ports Ray would otherwise take at fixed numbers, so a second cluster on this machine can coexist."""
    return [f"--ray-client-server-port={_free_port(host)}", f"--dashboard-agent-listen-port={_free_port(host)}"]


def _processes() -> dict[int, tuple[int, str]]:
    """pid → (parent pid, command line) of every process (Linux /proc)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        table[int(entry.name)] = (int(stat[stat.rfind(")") + 2 :].split()[1]), cmdline)
    return table


def _stop_cluster(marks: list[str]) -> None:
    """Stop this test's Ray processes only (``ray stop`` would stop every Ray on the machine).

    Ours are the processes whose command line names our temp folder or GCS address, and their descendants.
    """
    table = _processes()
    ours = {pid for pid, (_, cmd) in table.items() if any(m in cmd for m in marks) and pid != os.getpid()}
    grew = True
    while grew:
        children = {pid for pid, (ppid, _) in table.items() if ppid in ours} - ours
        grew = bool(children)
        ours |= children
    for signum in (signal.SIGTERM, signal.SIGKILL):
        for pid in ours:
            with contextlib.suppress(OSError):
                os.kill(pid, signum)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in ours):
            time.sleep(0.2)


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[str]:
    """A head on 127.0.0.2 and a worker node on 127.0.0.3; yields the address to join."""
    # Short on purpose: Ray's socket paths live under it and AF_UNIX paths stop at 107 bytes.
    temp = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "PYTHONPATH": str(PROJECT)}
    address = f"127.0.0.2:{_free_port('127.0.0.2')}"
    head = [RAY, "start", "--head", "--node-ip-address=127.0.0.2", f"--port={address.split(':')[1]}",
            "--include-dashboard=false", f"--temp-dir={temp}", *_node_ports("127.0.0.2"), *NODE]
    worker = [RAY, "start", f"--address={address}", "--node-ip-address=127.0.0.3", *_node_ports("127.0.0.3"), *NODE]
    try:
        for command in (head, worker):
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        yield address
    finally:
        _stop_cluster([str(temp), address])
        shutil.rmtree(temp, ignore_errors=True)


def _ray_args(address: str) -> list[str]:
    return ["--executor", "ray", "--ray-address", address, "--workers", "2"]


@pytest.fixture
def ray_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")


def test_ray_grid_gives_the_same_results_as_local(tmp_path: Path, ray_cluster: str, ray_env: None) -> None:
    rc, summary, stderr = run_batch_cli(tmp_path / "ray", *_ray_args(ray_cluster))
    assert rc == 0, stderr
    assert summary["finished"] == 8 and not summary["incomplete"]
    nodes = {e["host"].rpartition("@")[2] for e in summary["episodes"]}
    assert nodes == {"127.0.0.2", "127.0.0.3"}  # both nodes ran episodes
    rc_local, _, _ = run_batch_cli(tmp_path / "local", "--workers", "2")
    assert rc_local == 0
    assert results_set(tmp_path / "ray") == results_set(tmp_path / "local")
    assert len(results_set(tmp_path / "ray")) == 8


def test_ray_retries_an_episode_whose_worker_died(tmp_path: Path, ray_cluster: str, ray_env: None) -> None:
    out, hold = tmp_path / "runs", tmp_path / "hold"
    hold.mkdir()
    (hold / "hold").touch()
    proc = start_batch(out, *_ray_args(ray_cluster), "--json", hold=hold)
    (_, victim), = wait_for_held(hold, 1)
    os.kill(victim, signal.SIGKILL)
    time.sleep(0.5)
    (hold / "hold").unlink()
    stdout, stderr = proc.communicate(timeout=240)
    assert proc.returncode == 0, stderr
    summary = json.loads(stdout)
    assert summary["finished"] == 8 and not summary["incomplete"]
    # The killed try left a folder: kept, marked crashed, not counted; its cell finished on the retry.
    marked = [r for r in scan(out) if r.mark]
    assert [r.mark for r in marked] == ["crashed"]
    counts = finished_per_cell(out)
    assert len(counts) == 8 and set(counts.values()) == {1}


def test_ray_budget_actor_limits_calls_and_total_cost(
    tmp_path: Path, ray_cluster: str, ray_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "calls.log"
    monkeypatch.setenv("MLGYM_TEST_CALL_LOG", str(log))
    grid = ["--tasks", "prisonersDilemma", "--agents", "tests.batch.agents:CallLogAgent", "--models", "fake:m",
            "--attempts", "2"]
    rc, summary, stderr = run_batch_cli(tmp_path / "calls", *_ray_args(ray_cluster), "--max-concurrent-calls",
                                        "fake=1", grid=grid)
    assert rc == 0, stderr
    assert {e["host"].rpartition("@")[2] for e in summary["episodes"]} == {"127.0.0.2", "127.0.0.3"}
    calls = sorted(tuple(map(float, line.split())) for line in log.read_text().splitlines())
    assert len(calls) == 4
    for (_, end), (begin, _) in zip(calls, calls[1:], strict=False):
        assert begin >= end - 0.01, "two calls to one provider overlapped across nodes"

    grid = ["--tasks", "prisonersDilemma", "--agents", "tests.batch.agents:PricedAgent", "--models", "fake:m",
            "--attempts", "3"]
    args = ["--executor", "ray", "--ray-address", ray_cluster, "--workers", "1", "--total-cost-limit", "1.5"]
    rc, summary, stderr = run_batch_cli(tmp_path / "cost", *args, grid=grid)
    assert rc == 1, stderr
    assert [e["state"] for e in summary["episodes"]] == ["finished", "interrupted"]
    assert "cost limit" in summary["stopped"] and summary["cost"] == pytest.approx(1.5)
