"""GPUs on the docker backend. No GPU here: the checks are on what a container is *created* with (its
device requests); the leases are tests/core/runtime/test_gpus.py's; docs/docker.md says how to check a
GPU host for real."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlgym_tui.core.runtime import RuntimeSettings
from mlgym_tui.core.runtime.docker import DockerRuntime
from tests.conftest import require_docker


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLGYM_CACHE_DIR", str(tmp_path / "cache"))


def created_device_requests(settings: RuntimeSettings) -> tuple[DockerRuntime, list[dict]]:
    runtime = DockerRuntime(settings)
    runtime.create()  # not started: this host has no GPU driver
    info = runtime.client.api.inspect_container(runtime.container.id)
    return runtime, info["HostConfig"]["DeviceRequests"] or []


@pytest.mark.docker
@pytest.mark.slow
def test_containers_are_created_with_the_requested_devices() -> None:
    require_docker()
    every, requests = created_device_requests(RuntimeSettings(gpus=["all"]))
    every.close()
    assert [(r["Count"], r["Capabilities"]) for r in requests] == [(-1, [["gpu"]])]
    listed, requests = created_device_requests(RuntimeSettings(gpus=["0", "1"]))
    listed.close()
    assert [(r["DeviceIDs"], r["Capabilities"]) for r in requests] == [(["0", "1"], [["gpu"]])]
    none, requests = created_device_requests(RuntimeSettings())
    none.close()
    assert requests == []


@pytest.mark.docker
@pytest.mark.slow
def test_gpus_per_episode_gives_parallel_containers_disjoint_devices() -> None:
    require_docker()
    settings = RuntimeSettings(gpus=["0", "1", "2", "3"], gpus_per_episode=2)
    a, requests_a = created_device_requests(settings)
    b, requests_b = created_device_requests(settings)
    try:
        ids_a, ids_b = requests_a[0]["DeviceIDs"], requests_b[0]["DeviceIDs"]
        assert len(ids_a) == len(ids_b) == 2 and not set(ids_a) & set(ids_b)
    finally:
        a.close()
        b.close()
    again, requests = created_device_requests(settings)  # closing gave the devices back
    again.close()
    assert len(requests[0]["DeviceIDs"]) == 2
