"""How a container gets its GPUs: the Docker device requests for the devices an episode holds
(which devices, and the lease that keeps them apart from other episodes', is :mod:`.gpus`)."""

from __future__ import annotations

from typing import Any


def device_requests(gpus: list[str] | None) -> list[Any]:
    """The ``DeviceRequest`` list a container gets for these devices (what ``docker run --gpus`` sends)."""
    if not gpus:
        return []
    from docker.types import DeviceRequest

    if gpus == ["all"]:
        return [DeviceRequest(count=-1, capabilities=[["gpu"]])]
    return [DeviceRequest(device_ids=list(gpus), capabilities=[["gpu"]])]
