"""The agent's persistent shell in a container: a :class:`ShellTransport` over one attached exec.

The shell is ``bash`` started once with ``docker exec`` as the agent user and kept attached; the shared
protocol (:mod:`mlgym_tui.core.runtime.shell`) does everything else. stderr is joined to stdout inside
the container (``exec ... 2>&1``), so the two keep their order, which separate exec streams would not.
Process control goes through the container's supervisor, which reads ``/proc`` there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlgym_tui.core.errors import SandboxError
from mlgym_tui.core.runtime.docker_exec import ExecStream
from mlgym_tui.core.runtime.docker_supervisor import Supervisor

# Print the shell's pid (its session id: each exec starts a session), then become the interactive-less
# bash the protocol drives, same pid, stderr joined to stdout.
_SHELL_ARGV = ["bash", "--noprofile", "--norc", "-c", 'echo "$$"; exec bash --noprofile --norc 2>&1']


class DockerShellTransport:
    """See the module docstring. ``check_alive(wait)`` raises SandboxError when the container is gone
    (waiting up to ``wait`` seconds for a dying one to be reported as stopped)."""

    def __init__(
        self,
        api: Any,
        container_id: str,
        supervisor: Supervisor,
        *,
        user: str,
        workdir: str,
        environment: dict[str, str],
        check_alive: Callable[[float], None],
    ) -> None:
        self.api = api
        self.container_id = container_id
        self.supervisor = supervisor
        self.user = user
        self.workdir = workdir
        self.environment = environment
        self.check_alive = check_alive
        self.stream: ExecStream | None = None
        self.pid = 0
        self._spawn()

    def _spawn(self) -> None:
        try:
            self.stream = ExecStream(
                self.api,
                self.container_id,
                _SHELL_ARGV,
                user=self.user,
                workdir=self.workdir,
                environment=self.environment,
            )
            self.pid = int(self.stream.recv_line(30))
        except (SandboxError, ValueError) as exc:
            self.check_alive(3.0)  # a container being killed: say so rather than "exec failed"
            raise SandboxError(f"the sandbox shell did not start: {exc}") from exc

    def send(self, data: bytes) -> None:
        assert self.stream is not None
        self.stream.send(data)

    def recv(self, timeout: float) -> bytes | None:
        assert self.stream is not None
        return self.stream.recv(timeout)

    def process_groups(self) -> set[int]:
        try:
            return set(self.supervisor.call("groups", sid=self.pid, timeout=10)["groups"])
        except (SandboxError, OSError):
            self.check_alive(3.0)
            raise

    def kill_process_groups(self, pgids: set[int]) -> None:
        if pgids:
            self.supervisor.call("kill", pgids=sorted(pgids), timeout=10)

    def signal_shell(self, signum: int) -> None:
        self.supervisor.call("signal", pid=self.pid, sig=int(signum), timeout=10)

    def restart(self) -> None:
        self.check_alive(0.0)
        self.terminate()
        self._spawn()

    def exit_status(self) -> int | None:
        if self.stream is None:
            return None
        return self.stream.exit_code()

    def terminate(self) -> None:
        """Kill the shell and everything still in its session, then drop the connection."""
        if self.stream is None:
            return
        try:
            self.supervisor.call("kill_session", sid=self.pid, timeout=30)
        except (SandboxError, OSError):
            pass  # the container is gone: nothing left to kill
        self.stream.close()
        self.stream = None
