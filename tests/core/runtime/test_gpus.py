"""GPU leases, the one mechanism every episode uses (run, watch, the docker and local runtimes, a local
batch). No GPU here: the pools are fake device ids; a lease only names devices."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlgym_tui.core.errors import RuntimeUnavailable, UserError
from mlgym_tui.core.runtime import RuntimeSettings
from mlgym_tui.core.runtime.gpus import GpuLease, parse_gpus
from mlgym_tui.core.runtime.local import LocalRuntime

PROJECT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The lock files live under the cache folder: a private one, so nothing else holds these devices."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("MLGYM_CACHE_DIR", str(cache))
    return cache


def test_gpu_option_values() -> None:
    assert parse_gpus(None) is None and parse_gpus("all") == ["all"] and parse_gpus("0, 2") == ["0", "2"]
    assert parse_gpus("4") == ["4"]  # device 4, not four devices
    for bad in (",", "0,0"):
        with pytest.raises(UserError):
            parse_gpus(bad)


def test_parallel_episodes_get_disjoint_devices_and_wait_for_free_ones() -> None:
    first = GpuLease(["0", "1", "2", "3"], 2)
    second = GpuLease(["0", "1", "2", "3"], 2)
    assert sorted(first.devices + second.devices) == ["0", "1", "2", "3"]
    with pytest.raises(RuntimeUnavailable):
        GpuLease(["0", "1", "2", "3"], 1, timeout=0.3, poll=0.1)
    kept = list(first.devices)
    first.release()
    third = GpuLease(["0", "1", "2", "3"], 2, timeout=1)
    assert sorted(third.devices) == sorted(kept)
    with pytest.raises(UserError):
        GpuLease(["0"], 2)


def test_try_take_answers_at_once_and_takes_all_or_nothing() -> None:
    held = GpuLease(["0", "1", "2"], 2)
    assert GpuLease.try_take(["0", "1", "2"], 2) is None  # one free device is not two
    one = GpuLease.try_take(["0", "1", "2"], 1)
    assert one is not None and set(one.devices).isdisjoint(held.devices)
    held.release()
    again = GpuLease.try_take(["0", "1", "2"], 2)  # the failed try above kept nothing locked
    assert again is not None and set(again.devices).isdisjoint(one.devices)


HOLDER = textwrap.dedent("""
    import sys, time
    from mlgym_tui.core.runtime.gpus import GpuLease
    log = open(sys.argv[1], "a")
    for _ in range(3):
        lease = GpuLease(["0", "1"], 1, timeout=60, poll=0.01)
        start = time.time()
        time.sleep(0.15)
        print(lease.devices[0], start, time.time(), flush=True, file=log)
        lease.release()
""")


def test_concurrent_leases_in_separate_processes_never_share_a_device(tmp_path: Path) -> None:
    log = tmp_path / "held.log"
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    procs = [subprocess.Popen([sys.executable, "-c", HOLDER, str(log)], env=env) for _ in range(4)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    held: dict[str, list[tuple[float, float]]] = {}
    for line in log.read_text().splitlines():
        device, start, end = line.split()
        held.setdefault(device, []).append((float(start), float(end)))
    assert sum(len(v) for v in held.values()) == 12 and set(held) <= {"0", "1"}
    for spans in held.values():
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert start >= end, "two processes held one device at once"


def test_the_local_runtime_leases_its_devices_and_shows_them_to_the_shell() -> None:
    settings = RuntimeSettings(gpus=["0", "1"], gpus_per_episode=1)
    a, b = LocalRuntime(settings), LocalRuntime(settings)
    try:
        a.start()
        b.start()
        seen = {rt.run("echo $CUDA_VISIBLE_DEVICES", timeout=30).output.strip() for rt in (a, b)}
        assert seen == {"0", "1"}
        assert GpuLease.try_take(["0", "1"], 1) is None
    finally:
        a.close()
        b.close()
    assert GpuLease.try_take(["0", "1"], 2) is not None  # closing gave them back
    single = LocalRuntime(RuntimeSettings(gpus=["3"]))  # no --gpus-per-episode: the episode gets them all
    try:
        single.start()
        assert single.run("echo $CUDA_VISIBLE_DEVICES", timeout=30).output.strip() == "3"
    finally:
        single.close()
