"""GPUs for episodes: what ``--gpus`` means, and the one way devices are leased to an episode.

``--gpus`` means the same in every command (run, watch, human, tasks check, batch): ``all``, or device
ids (``0,1``; ``--gpus 4`` is device 4, not four devices). ``--gpus-per-episode N`` makes those devices a
pool from which each episode takes N for its lifetime.

A lease is a ``flock`` on one lock file per device under the cache folder, so episodes never share a
device whoever starts them: parallel ``run`` processes, the runtimes of one process, or a local batch
(whose scheduler takes leases without waiting and starts the episodes that fit). A lock dies with its
process, so a crashed episode's devices come free by themselves. (``flock`` locks belong to the open
file: take a lease where no ``fork`` follows that keeps the file open, as the runtimes and the batch's
forkserver workers do.) On Ray the cluster assigns devices itself from the declared ``num_gpus``.
"""

from __future__ import annotations

import contextlib
import fcntl
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from mlgym_tui.core.errors import RuntimeUnavailable, UserError
from mlgym_tui.paths import cache_dir

DEVICE_ID = re.compile(r"\d+|(GPU|MIG)-[0-9A-Za-z/-]+")
"""What CUDA_VISIBLE_DEVICES and docker's device requests both accept: an index or a device UUID."""


def parse_gpus(value: str | None) -> list[str] | None:
    """``--gpus`` as every command reads it: ``all``, or device ids, into the settings' list (None for
    no GPUs)."""
    if value is None or not value.strip():
        return None
    if value.strip() == "all":
        return ["all"]
    ids = [part.strip() for part in value.split(",") if part.strip()]
    if not ids:
        raise UserError(f"--gpus {value!r}: give 'all' or device ids such as 0,1")
    if len(set(ids)) != len(ids):
        raise UserError(f"--gpus {value!r}: names a device twice")
    for device in ids:
        if not DEVICE_ID.fullmatch(device):
            raise UserError(f"--gpus {value!r}: {device!r} is not a device index (0, 1 …) or a GPU-/MIG- UUID")
    return ids


def host_gpu_ids() -> list[str]:
    """Indices of the host's NVIDIA GPUs (needed to share ``--gpus all`` out between episodes)."""
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


def device_pool(gpus: list[str]) -> list[str]:
    """The device ids to share out: ``all`` becomes the host's devices, since leases name devices."""
    return host_gpu_ids() if gpus == ["all"] else list(gpus)


def check_per_episode(pool: list[str], count: int) -> None:
    """Refuse, before anything starts, a share no episode could ever get."""
    if count < 1:
        raise UserError("--gpus-per-episode must be at least 1")
    if count > len(pool):
        raise UserError(f"--gpus-per-episode {count} is more than the {len(pool)} GPU(s) in --gpus")


def lock_folder() -> Path:
    """Where the per-device lock files live: one folder per host user, shared by every process."""
    folder = cache_dir() / "gpu-locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class GpuLease:
    """``count`` devices of ``pool`` held until :meth:`release` (or the process ends); waits up to
    ``timeout`` seconds for them to come free (0: one try)."""

    def __init__(self, pool: list[str], count: int, timeout: float = 24 * 3600, poll: float = 0.5) -> None:
        check_per_episode(pool, count)
        self.devices: list[str] = []
        self._files: list[IO[str]] = []
        deadline = time.monotonic() + timeout
        while not self._take(pool, count):
            if time.monotonic() >= deadline:
                raise RuntimeUnavailable(f"no {count} free GPU(s) among {','.join(pool)} within {timeout:g} s")
            time.sleep(poll)

    @classmethod
    def try_take(cls, pool: list[str], count: int) -> GpuLease | None:
        """The lease if ``count`` devices are free now, else None (a scheduler's question: what fits?)."""
        try:
            return cls(pool, count, timeout=0)
        except RuntimeUnavailable:
            return None

    def _take(self, pool: list[str], count: int) -> bool:
        """Lock free devices in pool order until ``count`` are held; all or nothing."""
        folder = lock_folder()
        for device in pool:
            if len(self.devices) == count:
                break
            handle = open(folder / f"gpu-{device}.lock", "w")  # noqa: SIM115 - held open while leased
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            self._files.append(handle)
            self.devices.append(device)
        if len(self.devices) == count:
            return True
        self.release()
        return False

    def release(self) -> None:
        """Give the devices back. Safe to call twice."""
        for handle in self._files:
            with contextlib.suppress(OSError):
                handle.close()
        self._files = []
        self.devices = []


def lease_for(gpus: list[str] | None, per_episode: int | None) -> tuple[list[str] | None, Callable[[], None]]:
    """The devices an episode uses (all of ``gpus`` without ``per_episode``), and how to give them back."""
    if not gpus or not per_episode:
        return gpus, lambda: None
    lease = GpuLease(device_pool(gpus), per_episode)
    return list(lease.devices), lease.release
