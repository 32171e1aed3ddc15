"""GPUs for episode containers: Docker device requests, and disjoint devices for parallel episodes.

``--gpus all`` or ``--gpus 0,1`` alone gives every episode those devices. With ``--gpus-per-episode N``
the listed devices are a pool: each episode takes N of them for its lifetime, held by ``flock`` on one
lock file per device under the cache folder, so episodes in parallel processes on one host never share
a device, and a crashed episode's devices come free when its process ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import time
from collections.abc import Callable
from typing import IO, Any

from mlgym_tui.core.errors import RuntimeUnavailable, UserError
from mlgym_tui.paths import cache_dir


def parse_gpus(value: str | None) -> list[str] | None:
    """``--gpus`` as every command reads it: ``all``, or device ids (``0,1``; ``--gpus 4`` is device 4,
    not four devices), into the settings' list (None for no GPUs)."""
    if value is None or not value.strip():
        return None
    if value.strip() == "all":
        return ["all"]
    ids = [part.strip() for part in value.split(",") if part.strip()]
    if not ids:
        raise UserError(f"--gpus {value!r}: give 'all' or device ids such as 0,1")
    if len(set(ids)) != len(ids):
        raise UserError(f"--gpus {value!r}: names a device twice")
    return ids


def device_requests(gpus: list[str] | None) -> list[Any]:
    """The ``DeviceRequest`` list a container gets for these devices (what ``docker run --gpus`` sends)."""
    if not gpus:
        return []
    from docker.types import DeviceRequest

    if gpus == ["all"]:
        return [DeviceRequest(count=-1, capabilities=[["gpu"]])]
    return [DeviceRequest(device_ids=list(gpus), capabilities=[["gpu"]])]


def host_gpu_ids() -> list[str]:
    """Indices of the host's NVIDIA GPUs (needed to split ``--gpus all`` between episodes)."""
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise RuntimeUnavailable(
            "--gpus all with --gpus-per-episode needs nvidia-smi to count the GPUs; "
            "list the devices instead, e.g. --gpus 0,1,2,3"
        ) from exc
    return [line.strip() for line in out.splitlines() if line.strip()]


class GpuLease:
    """``count`` devices of ``pool`` held until :meth:`release` (or the process ends)."""

    def __init__(self, pool: list[str], count: int, timeout: float = 24 * 3600, poll: float = 0.5) -> None:
        if count < 1:
            raise UserError("--gpus-per-episode must be at least 1")
        if count > len(pool):
            raise UserError(f"--gpus-per-episode {count} is more than the {len(pool)} GPU(s) in --gpus")
        folder = cache_dir() / "gpu-locks"
        folder.mkdir(parents=True, exist_ok=True)
        self.devices: list[str] = []
        self._files: list[IO[str]] = []
        deadline = time.monotonic() + timeout
        while True:
            self._try_take(folder, pool, count)
            if len(self.devices) == count:
                return
            self.release()
            if time.monotonic() >= deadline:
                raise RuntimeUnavailable(f"no {count} free GPU(s) among {','.join(pool)} within {timeout:g} s")
            time.sleep(poll)

    def _try_take(self, folder: os.PathLike[str] | str, pool: list[str], count: int) -> None:
        for device in pool:
            if len(self.devices) == count:
                return
            handle = open(os.path.join(folder, f"gpu-{device}.lock"), "w")  # noqa: SIM115 - held open
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            self._files.append(handle)
            self.devices.append(device)

    def release(self) -> None:
        """Give the devices back. Safe to call twice."""
        for handle in self._files:
            with contextlib.suppress(OSError):
                handle.close()
        self._files = []
        self.devices = []


def lease_for(gpus: list[str] | None, per_episode: int | None) -> tuple[list[str] | None, Callable[[], None]]:
    """The devices this episode uses, and how to give them back."""
    if not gpus or not per_episode:
        return gpus, lambda: None
    pool = host_gpu_ids() if gpus == ["all"] else gpus
    lease = GpuLease(pool, per_episode)
    return list(lease.devices), lease.release
