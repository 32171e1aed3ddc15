"""The workspace size limit in a docker episode container, measured from inside it.

Docker cannot bound what an episode writes here: ``--storage-opt size`` needs overlay2 on xfs with
project quotas (the daemons this project meets run it on ext4), the ``local`` volume driver mounts no
loop images, and a tmpfs volume would keep the workspace in the container's memory. So the container is
measured as the local sandbox is (:class:`~.disk_guard.DiskGuard`, same limit, same notice), through a
supervisor connection of its own (:mod:`.docker_supervisor`, root in the container, so no folder of the
agent's can hide files from it, and no agent file call waits on a measurement):

- at the start, the places on the container's own file system the agent can write (``/tmp``,
  ``/var/tmp``, its home, the agent-owned venv, …); then, every couple of seconds, the blocks of what
  was made or changed there since the start (the image's own files left alone do not count; deleting
  them makes no room, as it frees nothing on the host), everything on the workspace volume, and files
  the agent deleted but keeps open;
- over the limit, every process of the agent's but its shell is stopped and killed (the command that was
  running is abandoned, as on a timeout), and the next observation says why.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

from mlgym_tui.core.runtime.disk_guard import DiskGuard
from mlgym_tui.core.runtime.docker_supervisor import Supervisor


class ContainerDiskLimit:
    """Guards one episode container; ``shell()`` gives the agent shell's pid and whether it is running a
    command (None before the shell starts)."""

    def __init__(
        self,
        api: Any,
        container_id: str,
        agent_user: str,
        volumes: list[str],
        limit: int,
        shell: Callable[[], tuple[int, bool] | None],
    ) -> None:
        self.supervisor = Supervisor(api, container_id, agent_user)
        self.volumes = volumes
        self.shell = shell
        self._stopping = threading.Lock()
        found = self.supervisor.call("writable", timeout=120)
        self.places: list[str] = [p for p in found["roots"] if p not in volumes]
        self.since: float = found["now"] - 1.0  # file times come from a coarser clock
        """The container's clock at the start: files the image put there and the agent left alone do
        not count; one it changes (even its mode, which copies it into the container's layer) does."""
        self.guard = DiskGuard(self.usage, limit, self._over_limit)

    def usage(self) -> int:
        """Bytes on disk the episode added where the agent can write."""
        found = self.supervisor.call("usage", timeout=600, layer=self.places, volumes=self.volumes, since=self.since)
        return found["layer"] + found["volumes"] + found["held"]

    def _over_limit(self, _usage: int) -> None:
        state = self.shell()
        if state is None:
            return
        pid, in_command = state
        with self._stopping:
            if in_command:  # abandon the rest of the command list, as a timeout does
                self.supervisor.call("signal", pid=pid, sig=int(signal.SIGUSR1), timeout=10)
            self.supervisor.call("stop_agent", keep=[pid], timeout=60)

    def settle(self) -> None:
        """Wait for a stop under way to finish: the command it ended returns while the stop still kills
        stragglers (a fork loop takes rounds), and would take the next command's processes with them."""
        with self._stopping:
            pass

    def notice(self) -> str:
        return self.guard.notice()

    def close(self) -> None:
        self.guard.stop()
        self.supervisor.close()
