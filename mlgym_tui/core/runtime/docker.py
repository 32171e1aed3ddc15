"""The docker backend: one container per episode, the agent's persistent shell on one exec socket.

- The container runs ``sleep infinity`` under Docker's init; the agent's shell is one attached
  ``docker exec`` as the non-root user ``agent`` (see :mod:`.docker_shell`); a root supervisor on a second
  exec does process control and the file API with the agent's permissions (:mod:`.docker_supervisor`).
- The workspace is a labelled named volume at ``/home/agent/workspace``, so the evaluation container can
  mount the very same files read-only.
- Limits are the settings' (network off, memory without swap, CPUs, pids, GPUs via device requests);
  the workspace size limit is measured while the episode runs (:mod:`.docker_disk`), as on local;
  capabilities are cut to what the supervisor needs, and ``no-new-privileges`` makes setuid binaries
  useless to the agent.
- Grading: the judge (the task's evaluation script) runs on the host, outside every container, with the
  private (test) data and a private copy of the submission (see :mod:`mlgym_tui.core.judging`). Where the
  task must run the agent's code, that code runs in a fresh *player* container from the same image
  (:meth:`DockerRuntime.start_player`): workspace read-only, no private data, network off, removed
  afterwards; it talks to the judge only over its stdin and stdout. The test data is never in any
  container, so no code of the agent's can read it at any time.
- Everything is labelled ``mlgym-tui.managed``; a reaper process removes an episode's containers and
  volume as soon as this process dies, even by SIGKILL (:mod:`.docker_reaper`); leftovers of a power
  cut are removed at the first start in a process, and ``mlgym-tui image prune`` removes them all.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import posixpath
import secrets
import socket
import subprocess
import tarfile
import tempfile
import threading
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlgym_tui.core.errors import RuntimeUnavailable, SandboxError
from mlgym_tui.core.runtime import docker_reaper
from mlgym_tui.core.runtime.base import CommandResult, ExecResult, FileEntry, OutputCallback, RuntimeSettings
from mlgym_tui.core.runtime.docker_archive import extract_stream
from mlgym_tui.core.runtime.docker_daemon import (
    CA_VARIABLES,
    LABEL_EPISODE,
    LABEL_MANAGED,
    LABEL_OWNER,
    LABEL_ROLE,
    connect,
    host_ca_bundle,
    missing_image,
    owner_label,
    preflight,
    remove_managed,
)
from mlgym_tui.core.runtime.docker_disk import ContainerDiskLimit
from mlgym_tui.core.runtime.docker_exec import ExecStream
from mlgym_tui.core.runtime.docker_gpus import device_requests
from mlgym_tui.core.runtime.docker_shell import DockerShellTransport
from mlgym_tui.core.runtime.docker_supervisor import Supervisor
from mlgym_tui.core.runtime.gpus import lease_for
from mlgym_tui.core.runtime.shell import PersistentShell, clean_text
from mlgym_tui.task_lib import TASK_LIB

AGENT_USER = "agent"
HOME = "/home/agent"
WORKSPACE = f"{HOME}/workspace"
TASK_MOUNT = "/mlgym/task"
LIB_MOUNT = "/mlgym/lib"
PRIVATE_MOUNT = "/mlgym/private"
HOST_CA_MOUNT = "/etc/ssl/certs/mlgym-host-ca.pem"

# What the root supervisor needs (file ownership for `protect`, signals, acting as the agent); the
# agent's own processes get no capabilities at all, being non-root under no-new-privileges.
_CAPABILITIES = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETUID", "SETGID"]
_OPEN: weakref.WeakSet[DockerRuntime] = weakref.WeakSet()
_stale_checked = threading.Event()


class DockerRuntime:
    """One episode container; see the module docstring."""

    name = "docker"
    workspace = WORKSPACE

    def __init__(self, settings: RuntimeSettings | None = None) -> None:
        self.settings = settings or RuntimeSettings()
        self.episode = secrets.token_hex(6)
        self.client: Any = None
        self.container: Any = None
        self.volume: Any = None
        self.supervisor: Supervisor | None = None
        self._transport: DockerShellTransport | None = None
        self._shell: PersistentShell | None = None
        self._release_gpus = lambda: None
        self.gpus: list[str] | None = None
        self._dead: str | None = None
        self._closed = False
        self._reaper: subprocess.Popen[bytes] | None = None
        self._disk: ContainerDiskLimit | None = None
        self._disk_start: threading.Thread | None = None
        self._disk_error: Exception | None = None
        self._in_command = False

    # -- lifecycle ------------------------------------------------------------------------------
    def labels(self, role: str) -> dict[str, str]:
        return {
            **self.settings.labels,
            LABEL_MANAGED: "1",
            LABEL_EPISODE: self.episode,
            LABEL_ROLE: role,
            LABEL_OWNER: owner_label(),
        }

    def environment(self) -> dict[str, str]:
        """The container's environment: a clean one (no host secrets), plus the settings' variables."""
        env = {
            "HOME": HOME,
            "USER": AGENT_USER,
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "PAGER": "cat",
            "GIT_PAGER": "cat",
            "MPLBACKEND": "Agg",
        }
        if self.settings.network and host_ca_bundle() is not None:
            env.update(dict.fromkeys(CA_VARIABLES, HOST_CA_MOUNT))
        env.update(self.settings.env)
        return env

    def host_config(self, *, evaluation: bool = False) -> dict[str, Any]:
        """Resource limits and isolation shared by the episode and its evaluation containers."""
        s = self.settings
        config: dict[str, Any] = {
            "network_mode": "bridge" if s.network and not evaluation else "none",
            "pids_limit": s.pids_limit,
            "init": True,
            "security_opt": ["no-new-privileges"],
            "cap_drop": ["ALL"],
            "cap_add": [] if evaluation else list(_CAPABILITIES),
            "device_requests": device_requests(self.gpus),
        }
        if s.memory:
            config["mem_limit"] = s.memory
            config["memswap_limit"] = s.memory  # no swap: a memory hog is stopped, not slowed down
        if s.cpus:
            config["nano_cpus"] = int(s.cpus * 1e9)
        return config

    def create(self) -> None:
        """Create (not start) the volume and container; separate from :meth:`start` so the container's
        configuration can be checked where it could not run (GPU device requests on a CPU host)."""
        if self.container is not None:
            return
        from docker.errors import ImageNotFound
        from docker.types import Mount

        self.client = connect()
        if not _stale_checked.is_set():
            _stale_checked.set()
            remove_managed(self.client, only_stale=True)
        try:
            self.client.images.get(self.settings.image)
        except ImageNotFound as exc:
            raise RuntimeUnavailable(missing_image(self.settings.image)) from exc
        _OPEN.add(self)
        self._reaper = docker_reaper.start_reaper(f"{LABEL_EPISODE}={self.episode}")
        self.gpus, self._release_gpus = lease_for(self.settings.gpus, self.settings.gpus_per_episode)
        self.volume = self.client.volumes.create(
            name=f"mlgym-ws-{self.episode}", labels=self.labels("workspace")
        )
        mounts = [Mount(WORKSPACE, self.volume.name, type="volume")]
        ca = host_ca_bundle()
        if self.settings.network and ca is not None:
            mounts.append(Mount(HOST_CA_MOUNT, str(ca.resolve()), type="bind", read_only=True))
        self.container = self.client.containers.create(
            self.settings.image,
            ["sleep", "infinity"],
            name=f"mlgym-{self.episode}",
            hostname="sandbox",
            # root for the init and the sleep: under no-new-privileges a root exec only gets the
            # supervisor's capabilities when the container's own user is root. The agent's shell is an
            # exec as `agent`, without any.
            user="root",
            working_dir=WORKSPACE,
            environment=self.environment(),
            labels=self.labels("episode"),
            mounts=mounts,
            **self.host_config(),
        )

    def start(self) -> None:
        if self._shell is not None:
            return
        self.create()
        try:
            self.container.start()
        except Exception as exc:  # noqa: BLE001 - e.g. a GPU request this host cannot satisfy
            raise RuntimeUnavailable(f"cannot start the episode container: {_first_line(exc)}") from exc
        self.supervisor = Supervisor(self.client.api, self.container.id, AGENT_USER)
        if self.settings.max_workspace_bytes:  # beside the copying in of the task's files
            self._disk_start = threading.Thread(target=self._start_disk_limit, name="mlgym-disk-start", daemon=True)
            self._disk_start.start()
        self._transport = DockerShellTransport(
            self.client.api,
            self.container.id,
            self.supervisor,
            user=AGENT_USER,
            workdir=WORKSPACE,
            environment=self.environment(),
            check_alive=self.check_alive,
        )
        self._shell = PersistentShell(self._transport, self.settings.output_cap_bytes)
        self._shell.initialise(WORKSPACE)

    def _start_disk_limit(self) -> None:
        try:
            self._disk = ContainerDiskLimit(
                self.client.api, self.container.id, AGENT_USER, [WORKSPACE],
                self.settings.max_workspace_bytes or 0, self._shell_state,
            )
        except Exception as exc:  # noqa: BLE001 - raised where the agent's first command waits for it
            self._disk_error = exc

    def _disk_limit(self) -> ContainerDiskLimit | None:
        """The workspace size limit, once its start (found places and what the image put there) is done;
        the agent's first command waits for it, so nothing the agent writes is taken for the image's."""
        if self._disk_start is not None:
            self._disk_start.join()
            self._disk_start = None
            if self._disk_error is not None:
                raise SandboxError(f"the workspace size limit could not start: {_first_line(self._disk_error)}")
        return self._disk

    def _shell_state(self) -> tuple[int, bool] | None:
        """The agent shell's pid and whether a command runs in it (for the disk limit)."""
        transport = self._transport
        if transport is None or transport.stream is None:
            return None
        return transport.pid, self._in_command

    def check_alive(self, wait: float = 0.0) -> None:
        """Raise SandboxError (the episode ends as exit_runtime) when the container no longer runs;
        ``wait`` gives a container that is being killed time to be reported as stopped."""
        if self._dead is not None:
            raise SandboxError(self._dead)
        if self.container is None:
            raise SandboxError("runtime not started")
        deadline = time.monotonic() + wait
        while True:
            try:
                self.container.reload()
                state = self.container.attrs["State"]
            except Exception as exc:  # noqa: BLE001 - removed container, daemon gone
                self._dead = f"the sandbox container is gone ({_first_line(exc)})"
                raise SandboxError(self._dead) from exc
            if not state.get("Running"):
                break
            if time.monotonic() >= deadline:
                return
            time.sleep(0.1)
        why = "out of memory (OOM-killed)" if state.get("OOMKilled") else "killed or stopped"
        self._dead = f"the sandbox container stopped mid-episode: {why}, exit code {state.get('ExitCode')}"
        raise SandboxError(self._dead)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        _OPEN.discard(self)
        with contextlib.suppress(SandboxError):
            if (disk := self._disk_limit()) is not None:
                disk.close()
        if self._transport is not None and self._dead is None:
            with contextlib.suppress(Exception):
                self._transport.terminate()
        if self.supervisor is not None:
            self.supervisor.close()
        if self.container is not None:
            with contextlib.suppress(Exception):
                self.container.remove(force=True, v=True)
        if self.volume is not None:
            with contextlib.suppress(Exception):
                self.volume.remove(force=True)
        self._release_gpus()
        docker_reaper.dismiss(self._reaper)
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.close()

    # -- the shell ------------------------------------------------------------------------------
    def run(self, command: str, timeout: float, on_output: OutputCallback | None = None) -> CommandResult:
        if self._shell is None:
            raise SandboxError("runtime not started")
        if self._dead is not None:
            raise SandboxError(self._dead)
        disk = self._disk_limit()
        if disk is not None:
            disk.settle()
        self._in_command = True
        try:
            result = self._shell.run(command, timeout, on_output)
        finally:
            self._in_command = False
        notice = disk.notice() if disk is not None else ""
        return dataclasses.replace(result, output=result.output + notice) if notice else result

    def cwd(self) -> str:
        return self._shell.current_dir if self._shell else WORKSPACE

    # -- files ----------------------------------------------------------------------------------
    def _path(self, path: str) -> str:
        return posixpath.normpath(path if path.startswith("/") else posixpath.join(self.cwd(), path))

    def _supervisor(self) -> Supervisor:
        if self.supervisor is None:
            raise SandboxError("runtime not started")
        return self.supervisor

    def _call(self, op: str, payload: bytes = b"", **args: Any) -> tuple[dict[str, Any], bytes]:
        try:
            return self._supervisor().call_with_data(op, payload, **args)
        except SandboxError:
            self.check_alive(3.0)
            raise

    def read_file(self, path: str) -> bytes:
        return self._call("read", path=self._path(path))[1]

    def write_file(self, path: str, data: bytes) -> None:
        self._call("write", data, path=self._path(path))

    def exists(self, path: str) -> bool:
        return bool(self._call("exists", path=self._path(path))[0]["exists"])

    def copy_in(self, host_path: Path, path: str) -> None:
        target = self._path(path)
        parent, name = posixpath.split(target)
        self._call("mkdirs", path=parent)
        sup = self._supervisor()
        with tempfile.SpooledTemporaryFile(max_size=32 << 20) as archive:
            with tarfile.open(fileobj=archive, mode="w") as tar:

                def as_agent(info: tarfile.TarInfo) -> tarfile.TarInfo:
                    info.uid, info.gid, info.uname, info.gname = sup.uid, sup.gid, AGENT_USER, AGENT_USER
                    return info

                tar.add(str(host_path), arcname=name, filter=as_agent)
            archive.seek(0)
            if not self.client.api.put_archive(self.container.id, parent, archive):
                raise SandboxError(f"copying {host_path} into the sandbox failed")
        protect = [
            full
            for rel in self.settings.read_only
            if (full := posixpath.normpath(posixpath.join(WORKSPACE, rel))) == target
            or full.startswith(target + "/")
        ]
        if protect:
            self._call("protect", paths=protect, base=WORKSPACE)

    def copy_out(self, path: str, host_path: Path) -> None:
        """Streamed and sparse (:mod:`.docker_archive`): never more host disk than the data copied."""
        from docker.errors import NotFound

        source = self._path(path)
        try:
            stream, _stat = self.client.api.get_archive(self.container.id, source)
        except NotFound as exc:
            raise FileNotFoundError(2, "No such file or directory", source) from exc
        extract_stream(stream, posixpath.basename(source.rstrip("/")), host_path)

    # -- processes beside the shell ---------------------------------------------------------------
    def exec(self, argv: Sequence[str], timeout: float) -> ExecResult:
        if self.container is None:
            raise SandboxError("runtime not started")
        stream = ExecStream(
            self.client.api,
            self.container.id,
            ["bash", "-c", 'echo "$$"; exec "$@"', "mlgym-exec", *argv],
            user=AGENT_USER,
            workdir=self.cwd(),
            merge_stderr=False,
        )
        try:
            pid = int(stream.recv_line(30))
            out = bytearray()
            deadline = time.monotonic() + timeout
            timed_out = False
            while True:
                chunk = stream.recv(max(deadline - time.monotonic(), 0))
                if chunk == b"":
                    break
                if chunk is None:
                    timed_out = True
                    self._call("kill_session", sid=pid)
                    break
                out += chunk
            code = 124 if timed_out else stream.exit_code(wait=5)
        finally:
            stream.close()
        return ExecResult(
            exit_code=code if code is not None else 1,
            stdout=clean_text(out.decode("utf-8", errors="replace")),
            stderr=clean_text(bytes(stream.stderr).decode("utf-8", errors="replace")),
            timed_out=timed_out,
        )

    def _side_container(self, role: str, command: list[str], mounts: list[Any], env: dict[str, str]) -> Any:
        """Create (not start) a short-lived container beside the episode's, for an evaluation or a player:
        the same image, limits and GPUs, as the agent, no network, no capabilities, and no variables
        naming the host's CA bundle (not mounted there). Its root file system is read-only and its /tmp a
        tmpfs of at most the workspace size limit (held in its memory, under the memory limit), so what
        the agent's code writes there cannot fill the host's disk, and is gone with the container. HOME is
        that /tmp too (caches under ~, as Triton's, stay writable)."""
        env = {k: v for k, v in env.items() if not (k in CA_VARIABLES and v == HOST_CA_MOUNT)}
        env["HOME"] = "/tmp"
        tmp = "mode=1777" + (f",size={self.settings.max_workspace_bytes}" if self.settings.max_workspace_bytes else "")
        return self.client.containers.create(
            self.settings.image,
            command,
            name=f"mlgym-{self.episode}-{role}-{secrets.token_hex(3)}",
            hostname=role,
            user=AGENT_USER,
            working_dir=WORKSPACE,
            environment=env,
            labels=self.labels(role),
            mounts=mounts,
            read_only=True,
            tmpfs={"/tmp": tmp},
            **self.host_config(evaluation=True),
        )

    def evaluate_in_sandbox(self, task_dir: Path, script: str, timeout: float, private_data: Path | None) -> ExecResult:
        """Score in a fresh container: workspace and task read-only, test data only here, no network."""
        from docker.types import Mount

        if self.container is None or self.volume is None:
            raise SandboxError("runtime not started")
        mounts = [
            Mount(WORKSPACE, self.volume.name, type="volume", read_only=True),
            Mount(TASK_MOUNT, str(Path(task_dir).resolve()), type="bind", read_only=True),
        ]
        env = {**self.environment(), "PYTHONDONTWRITEBYTECODE": "1"}
        if private_data is not None:
            mounts.append(Mount(PRIVATE_MOUNT, str(Path(private_data).resolve()), type="bind", read_only=True))
            env["MLGYM_PRIVATE_DATA"] = PRIVATE_MOUNT
        evaluator = self._side_container("evaluation", ["python3", posixpath.join(TASK_MOUNT, script)], mounts, env)
        try:
            evaluator.start()
            timed_out = False
            try:
                code = int(evaluator.wait(timeout=timeout)["StatusCode"])
            except Exception:  # noqa: BLE001 - requests' read timeout: the evaluation ran too long
                timed_out = True
                with contextlib.suppress(Exception):
                    evaluator.kill()
                code = 124
            stdout = evaluator.logs(stdout=True, stderr=False)
            stderr = evaluator.logs(stdout=False, stderr=True)
        finally:
            with contextlib.suppress(Exception):
                evaluator.remove(force=True)
        return ExecResult(
            exit_code=code,
            stdout=clean_text(stdout.decode("utf-8", errors="replace")),
            stderr=clean_text(stderr.decode("utf-8", errors="replace")),
            timed_out=timed_out,
        )

    def scan(self, path: str) -> list[FileEntry]:
        head, _ = self._call("scan", path=self._path(path))
        return [FileEntry(rel, kind, int(size), int(disk)) for rel, kind, size, disk in head["entries"]]

    def read_regular(self, path: str, max_bytes: int) -> bytes:
        return self._call("read_regular", path=self._path(path), max_bytes=int(max_bytes))[1]

    def start_player(self, task_dir: Path, script: str, env: dict[str, str]) -> DockerPlayer:
        """The player in a fresh container from the episode's image: the workspace read-only, the task
        folder and the channel helper read-only, no private data, no network, no capabilities, the
        episode's limits and GPUs. Nothing it writes survives it, so it cannot hand the test inputs it
        is shown to the agent; the container is removed when the player is closed."""
        from docker.types import Mount

        if self.container is None or self.volume is None:
            raise SandboxError("runtime not started")
        mounts = [
            Mount(WORKSPACE, self.volume.name, type="volume", read_only=True),
            Mount(TASK_MOUNT, str(Path(task_dir).resolve()), type="bind", read_only=True),
            Mount(LIB_MOUNT, str(TASK_LIB), type="bind", read_only=True),
        ]
        player_env = {**self.environment(), "PYTHONDONTWRITEBYTECODE": "1", **env, "PYTHONPATH": LIB_MOUNT}
        container = self._side_container("player", ["sleep", "infinity"], mounts, player_env)
        try:
            container.start()
            stream = ExecStream(
                self.client.api,
                container.id,
                ["python3", posixpath.join(TASK_MOUNT, script)],
                user=AGENT_USER,
                workdir=WORKSPACE,
                environment=player_env,
                merge_stderr=False,
            )
        except BaseException:
            with contextlib.suppress(Exception):
                container.remove(force=True)
            raise
        return DockerPlayer(container, stream)


class DockerPlayer:
    """A player process in its own container (see :meth:`DockerRuntime.start_player`)."""

    def __init__(self, container: Any, stream: ExecStream) -> None:
        self.container = container
        self.stream = stream
        self._closed = False

    def send(self, data: bytes) -> None:
        self.stream.send(data)

    def recv(self, timeout: float) -> bytes | None:
        return self.stream.recv(timeout)

    def close_input(self) -> None:
        with contextlib.suppress(OSError):
            self.stream.sock.shutdown(socket.SHUT_WR)

    def stderr_tail(self) -> str:
        return bytes(self.stream.stderr).decode("utf-8", errors="replace")

    def cpu_seconds(self) -> float | None:
        """The player container's CPU time from its cgroup on the host (every process in it counts)."""
        cid = self.container.id
        for path in (f"/sys/fs/cgroup/cpuacct/docker/{cid}/cpuacct.usage",
                     f"/sys/fs/cgroup/cpu,cpuacct/docker/{cid}/cpuacct.usage"):
            with contextlib.suppress(OSError, ValueError):
                return int(Path(path).read_text()) / 1e9
        for path in (f"/sys/fs/cgroup/system.slice/docker-{cid}.scope/cpu.stat",
                     f"/sys/fs/cgroup/docker/{cid}/cpu.stat"):
            with contextlib.suppress(OSError, ValueError):
                for line in Path(path).read_text().splitlines():
                    if line.startswith("usage_usec "):
                        return int(line.split()[1]) / 1e6
        return None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.stream.close()
        with contextlib.suppress(Exception):
            self.container.remove(force=True, v=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


@atexit.register
def _close_open_runtimes() -> None:
    """Remove episode containers that a crashing or exiting process did not close."""
    for runtime in list(_OPEN):
        with contextlib.suppress(Exception):
            runtime.close()


__all__ = [
    "LABEL_EPISODE",
    "LABEL_MANAGED",
    "LABEL_OWNER",
    "LABEL_ROLE",
    "DockerRuntime",
    "connect",
    "owner_label",
    "preflight",
    "remove_managed",
]
