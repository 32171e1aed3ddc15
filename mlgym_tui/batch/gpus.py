"""GPU bookkeeping for the local executor: concurrent episodes get disjoint device ids.

The batch owns the device list given with ``--gpus``; each episode that needs GPUs takes
``gpus_per_episode`` ids from it for its lifetime, and the ids are passed to the runtime
(``RuntimeSettings.gpus``; ``CUDA_VISIBLE_DEVICES`` on the local backend). An episode that needs more
than are free waits; one that needs more than exist is refused before the batch starts. (On Ray the
cluster assigns GPUs itself from the declared ``num_gpus``.)
"""

from __future__ import annotations

from mlgym_tui.core.errors import UserError


def parse_gpus(text: str | None) -> list[str]:
    """The batch's device list from ``--gpus``, read as every command reads it
    (:func:`mlgym_tui.core.runtime.docker_gpus.parse_gpus`: device ids, ``--gpus 4`` is device 4, or
    ``all``); ``all`` becomes the host's device ids, since the batch shares them out one by one."""
    from mlgym_tui.core.runtime.docker_gpus import host_gpu_ids
    from mlgym_tui.core.runtime.docker_gpus import parse_gpus as parse_device_ids

    ids = parse_device_ids(text)
    if not ids:
        return []
    return host_gpu_ids() if ids == ["all"] else ids


class GpuPool:
    """Free and leased device ids; leases are keyed by the episode's launch id."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = list(ids)
        self._free = list(ids)
        self._leases: dict[str, list[str]] = {}

    def check(self, need: int) -> None:
        if need > len(self.ids):
            raise UserError(
                f"an episode needs {need} GPU(s) but --gpus gives {len(self.ids)}; lower --gpus-per-episode"
            )

    def fits(self, need: int) -> bool:
        return need <= len(self._free)

    def lease(self, launch: str, need: int) -> list[str]:
        if need == 0:
            return []
        if not self.fits(need):
            raise RuntimeError(f"{need} GPU(s) requested, {len(self._free)} free")
        taken, self._free = self._free[:need], self._free[need:]
        self._leases[launch] = taken
        return taken

    def release(self, launch: str) -> None:
        taken = self._leases.pop(launch, [])
        # Keep the configured order so the next lease is predictable.
        self._free = [i for i in self.ids if i in set(self._free) | set(taken)]

    @property
    def leased(self) -> dict[str, list[str]]:
        return dict(self._leases)
