"""The local backend: a persistent bash in a fresh workspace folder per episode, inside a bubblewrap sandbox.

No daemon, no image: the embedded default. What the sandbox shows and hides is :mod:`.sandbox`; where
bubblewrap cannot run, the shell runs unconfined as the user (``sandbox == "none"``, said once, loudly, by
the environment). Nothing outlives the episode: the sandbox dies with this process, and a small reaper
process removes the episode's folder when this process ends in any way (a SIGKILL included); folders left
by a power cut are swept at the next start (:mod:`.episode_folders`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from mlgym_tui.core.errors import SandboxError
from mlgym_tui.core.runtime import sandbox
from mlgym_tui.core.runtime.base import CommandResult, ExecResult, FileEntry, OutputCallback, RuntimeSettings
from mlgym_tui.core.runtime.disk_guard import DiskGuard
from mlgym_tui.core.runtime.episode_folders import (
    make_episode_root,
    start_reaper,
    stop_reaper,
    sweep_stale_episodes,
)
from mlgym_tui.core.runtime.file_walks import deleted_open_files, disk_usage, read_regular, scan_entries
from mlgym_tui.core.runtime.gpus import lease_for
from mlgym_tui.core.runtime.local_player import LocalPlayer
from mlgym_tui.core.runtime.proc_stat import descendants, session_groups
from mlgym_tui.core.runtime.sandbox_files import SandboxFiles
from mlgym_tui.core.runtime.shell import PersistentShell, clean_text
from mlgym_tui.task_lib import TASK_LIB

_BASE_ENV_KEYS = (
    "LANG",
    "LC_ALL",
    "TERM",
    "TZ",
    "USER",
    "LOGNAME",
    "SSL_CERT_FILE",
    "PIP_CERT",
    "REQUESTS_CA_BUNDLE",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "CUDA_VISIBLE_DEVICES",
)


class _LocalBashTransport:
    """``bash`` as a child process in its own session; stdout and stderr share one pipe.

    With a sandbox, ``prefix`` is the ``bwrap`` command line: bash is then pid 1 of the sandbox's PID
    namespace (``--as-pid-1``), so its host pid is bwrap's child, read from ``--info-fd``, and when bash
    ends (or bwrap's parent dies) the kernel ends every process of the sandbox, ``setsid`` ones included.
    """

    def __init__(self, cwd: Path, env: dict[str, str], prefix: Sequence[str] = ()) -> None:
        self.cwd = cwd
        self.env = env
        self.prefix = list(prefix)
        self.proc: subprocess.Popen[bytes] | None = None
        self.shell_pid = 0
        self._spawn()

    def _spawn(self) -> None:
        argv = ["bash", "--noprofile", "--norc"]
        if not self.prefix:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=self.cwd,
                env=self.env,
                start_new_session=True,
            )
            self.shell_pid = self.proc.pid
        else:
            read_end, write_end = os.pipe()
            try:
                self.proc = subprocess.Popen(
                    [*self.prefix, "--info-fd", str(write_end), *argv],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    cwd="/",
                    env=self.env,
                    pass_fds=(write_end,),
                    start_new_session=True,
                )
            finally:
                os.close(write_end)
            with os.fdopen(read_end, "rb") as info:
                raw = info.read()
            try:
                self.shell_pid = int(json.loads(raw)["child-pid"])
            except (ValueError, KeyError, TypeError) as exc:
                output = self.proc.stdout.read() if self.proc.stdout else b""  # type: ignore[union-attr]
                raise SandboxError(
                    f"the sandbox did not start: {output.decode(errors='replace').strip() or exc}"
                ) from exc
        os.set_blocking(self.proc.stdout.fileno(), False)  # type: ignore[union-attr]

    def send(self, data: bytes) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass  # the shell died; recv() reports EOF and the protocol restarts it

    def recv(self, timeout: float) -> bytes | None:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return None
        try:
            return os.read(fd, 1 << 16)
        except BlockingIOError:
            return None

    def process_groups(self) -> set[int]:
        return session_groups(self.shell_pid) - {self.shell_pid}

    def kill_process_groups(self, pgids: set[int]) -> None:
        for pgid in pgids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)

    def signal_shell(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.shell_pid, signum)

    def restart(self) -> None:
        self.terminate()
        self._spawn()

    def exit_status(self) -> int | None:
        assert self.proc is not None
        try:
            return self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return None

    def terminate(self) -> None:
        """Kill the shell and everything in its session (with a sandbox: its whole PID namespace)."""
        if self.proc is None:
            return
        for pgid in session_groups(self.shell_pid) | {self.shell_pid}:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


class LocalRuntime:
    """A workspace folder on the host and one bash in it, inside the sandbox where bubblewrap runs."""

    name = "local"

    def __init__(self, settings: RuntimeSettings | None = None, workspace: Path | None = None) -> None:
        self.settings = settings or RuntimeSettings()
        self._own_root = workspace is None
        if workspace is None:
            sweep_stale_episodes()
            self.root = make_episode_root()
            self.workspace_path = self.root / "workspace"
            self._reaper: subprocess.Popen[bytes] | None = start_reaper(self.root)
        else:
            self.root = workspace.parent
            self.workspace_path = workspace
            self._reaper = None
        self.workspace_path.mkdir(parents=True, exist_ok=True)
        self.workspace = str(self.workspace_path)
        self.tmp_path = self.root / "tmp" if self._own_root else Path(tempfile.mkdtemp(prefix="mlgym-tmp-"))
        self.tmp_path.mkdir(exist_ok=True)
        self._transport: _LocalBashTransport | None = None
        self._shell: PersistentShell | None = None
        self._started = False
        self._closed = False
        self._guard: DiskGuard | None = None
        self._in_command = False
        self.gpus: list[str] | None = None
        """The devices this episode holds (``CUDA_VISIBLE_DEVICES`` in its shell); set by :meth:`start`."""
        self._release_gpus: Callable[[], None] = lambda: None
        check = sandbox.probe()
        self.sandbox = "bwrap" if check.available else "none"
        """What confines the agent: ``bwrap`` or ``none`` (bubblewrap cannot run here; see ``sandbox_note``)."""
        self.sandbox_note = check.reason
        self.files = SandboxFiles(self._table(with_read_only=False))

    # -- the sandbox ---------------------------------------------------------------------------
    def _table(self, *, with_read_only: bool, player: bool = False) -> sandbox.MountTable:
        """What the sandbox shows. Without bubblewrap: the host as it is (an identity table)."""
        if self.sandbox == "none":
            table = sandbox.MountTable()
            table.add("/", "/", writable=True)
            return table
        extra: list[Path] = []
        for folder in self.settings.path_prepend:
            path = Path(folder)
            extra.append(path.parent if (path.parent / "pyvenv.cfg").is_file() else path)
        python = Path(self.settings.python)
        if python.is_absolute():
            extra.append(python.parent.parent if (python.parent.parent / "pyvenv.cfg").is_file() else python.parent)
            prefix = sandbox.python_prefix(python)
            if prefix is not None:
                extra.append(prefix)
        table = sandbox.system_table(extra)
        if player:  # a /tmp of its own and the workspace read-only: nothing it writes outlives it
            table.add("/tmp", "", writable=True)
            table.add(self.workspace, self.workspace_path)
        else:
            table.add("/tmp", self.tmp_path, writable=True)
            table.add(self.workspace, self.workspace_path, writable=True)
        for folder in extra:  # a venv or interpreter kept under /tmp (MLGYM_CACHE_DIR=/tmp/…) stays visible
            resolved = folder.resolve()
            if resolved.is_dir() and (resolved == Path("/tmp") or Path("/tmp") in resolved.parents):
                table.add(resolved, resolved)
        if with_read_only:
            for rel in self.settings.read_only:
                path = self.workspace_path / rel
                if path.exists() and not path.is_symlink():
                    table.add(path, path)
        return table

    def _bwrap(self, cwd: str, extra_read_only: Sequence[Path] = (), *, player: bool = False) -> list[str]:
        table = self._table(with_read_only=True, player=player)
        for folder in extra_read_only:
            resolved = Path(folder).resolve()
            table.add(resolved, resolved)
        return sandbox.bwrap_argv(
            table,
            network=self.settings.network,
            cwd=cwd,
            gpus=bool(self.settings.gpus) or "CUDA_VISIBLE_DEVICES" in os.environ,
        )

    def shell_env(self) -> dict[str, str]:
        """The agent shell's environment: a clean one, not the host's (no API keys leak in)."""
        env = {k: os.environ[k] for k in _BASE_ENV_KEYS if k in os.environ}
        path = [
            *self.settings.path_prepend,
            "/usr/local/sbin",
            "/usr/local/bin",
            "/usr/sbin",
            "/usr/bin",
            "/sbin",
            "/bin",
        ]
        env.update(
            {
                "PATH": os.pathsep.join(path),
                "HOME": self.workspace,
                "TMPDIR": "/tmp" if self.sandbox == "bwrap" else str(self.tmp_path),
                "PYTHONUNBUFFERED": "1",
                "PAGER": "cat",
                "GIT_PAGER": "cat",
                "MPLBACKEND": "Agg",
            }
        )
        env.setdefault("LANG", "C.UTF-8")
        if self.gpus and self.gpus != ["all"]:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(self.gpus)
        env.update(self.settings.env)
        return env

    # -- the Runtime protocol ------------------------------------------------------------------
    def start(self) -> None:
        """Ready the runtime. The shell itself starts with the first command, once the task's files are
        in place, so its sandbox can bind the read-only ones read-only. The GPUs are leased now."""
        if not self._started:
            self.gpus, self._release_gpus = lease_for(self.settings.gpus, self.settings.gpus_per_episode)
        self._started = True

    def _ensure_shell(self) -> PersistentShell:
        if not self._started:
            raise SandboxError("runtime not started")
        if self._closed:
            raise SandboxError("the sandbox was closed")
        if self._shell is None:
            prefix = self._bwrap("/") if self.sandbox == "bwrap" else ()
            self._transport = _LocalBashTransport(self.workspace_path, self.shell_env(), prefix)
            self._shell = PersistentShell(self._transport, self.settings.output_cap_bytes)
            self._shell.initialise(self.workspace)
            if self.settings.max_workspace_bytes and self._guard is None:
                self._guard = DiskGuard(self._disk_usage, self.settings.max_workspace_bytes, self._over_limit)
        return self._shell

    def _disk_usage(self) -> int:
        """What the agent's files take: the workspace, the sandbox's /tmp, and files its processes
        deleted but keep open."""
        seen: set[tuple[int, int]] = set()
        total = disk_usage([self.workspace_path, self.tmp_path], seen)
        if self._transport is not None:
            total += deleted_open_files([p.pid for p in descendants(self._transport.shell_pid)], seen)
        return total

    def _over_limit(self, _usage: int) -> None:
        """The workspace is over its size limit: stop every process of the sandbox but the shell."""
        if self._transport is None:
            return
        if self._in_command:  # abandon the rest of the command list, as a timeout does
            self._transport.signal_shell(signal.SIGUSR1)
        for stat in descendants(self._transport.shell_pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(stat.pid, signal.SIGKILL)

    def run(self, command: str, timeout: float, on_output: OutputCallback | None = None) -> CommandResult:
        shell = self._ensure_shell()
        self._in_command = True
        try:
            result = shell.run(command, timeout, on_output)
        finally:
            self._in_command = False
        notice = self._guard.notice() if self._guard is not None else ""
        return dataclasses.replace(result, output=result.output + notice) if notice else result

    def cwd(self) -> str:
        return self._shell.current_dir if self._shell else self.workspace

    def read_file(self, path: str) -> bytes:
        return self.files.read(path, self.cwd())

    def write_file(self, path: str, data: bytes) -> None:
        self._refuse_read_only(path)
        self.files.write(path, data, self.cwd())

    def exists(self, path: str) -> bool:
        return self.files.exists(path, self.cwd())

    def copy_in(self, host_path: Path, path: str) -> None:
        self.files.copy_in(host_path, path, self.cwd())

    def copy_out(self, path: str, host_path: Path) -> None:
        self.files.copy_out(path, host_path, self.cwd())

    def _refuse_read_only(self, path: str) -> None:
        """The task's read-only files are bound read-only in the sandbox; the tools see the same."""
        try:
            _mount, host = self.files.resolve(path, self.cwd())
        except OSError:
            return
        for rel in self.settings.read_only:
            protected = os.path.normpath(self.workspace_path / rel)
            if host == protected or host.startswith(protected + "/"):
                raise OSError(errno.EROFS, "Read-only file system (a read-only file of the task)", path)

    def exec(self, argv: Sequence[str], timeout: float) -> ExecResult:
        cwd = self.cwd()
        if self.sandbox == "bwrap":
            return _run_process([*self._bwrap(cwd), *argv], cwd=Path("/"), env=self.shell_env(), timeout=timeout)
        return _run_process(argv, cwd=Path(cwd), env=self.shell_env(), timeout=timeout)

    def scan(self, path: str) -> list[FileEntry]:
        return [FileEntry(*row) for row in scan_entries(self.files.lexical(path, self.cwd()))]

    def read_regular(self, path: str, max_bytes: int) -> bytes:
        return read_regular(self.files.lexical(path, self.cwd()), max_bytes)

    def start_player(self, task_dir: Path, script: str, env: dict[str, str]) -> LocalPlayer:
        """The player as a child process in the agent's sandbox (see :mod:`.local_player`): what the
        shell sees, plus the task folder and the channel helper, read-only; it dies with this process."""
        player_env = {**self.shell_env(), "PYTHONDONTWRITEBYTECODE": "1", **env}
        player_env["PYTHONPATH"] = str(TASK_LIB)
        argv = [self.settings.python, str(task_dir / script)]
        if self.sandbox == "bwrap":
            # Nothing the player writes may outlive it (it sees hidden test inputs): the workspace
            # read-only, a /tmp of its own (before the task folder's bind, which may lie under /tmp).
            wrap = self._bwrap(self.workspace, extra_read_only=(task_dir, TASK_LIB), player=True)
            argv = [*wrap, *argv]
        return LocalPlayer(argv, cwd=self.workspace_path, env=player_env)

    def evaluate_in_sandbox(self, task_dir: Path, script: str, timeout: float, private_data: Path | None) -> ExecResult:
        """Legacy grading (see :class:`Runtime`): in a sandbox like the shell's, with the task folder and
        the private data bound read-only (the agent's own shell never has them)."""
        env = self.shell_env()
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        if private_data is not None:
            env["MLGYM_PRIVATE_DATA"] = str(private_data)
        argv = [self.settings.python, str(task_dir / script)]
        if self.sandbox == "bwrap":
            extra = (task_dir,) if private_data is None else (task_dir, private_data)
            argv = [*self._bwrap(self.workspace, extra_read_only=extra), *argv]
            return _run_process(argv, cwd=Path("/"), env=env, timeout=timeout)
        return _run_process(argv, cwd=self.workspace_path, env=env, timeout=timeout)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._guard is not None:
            self._guard.stop()
        if self._transport is not None:
            self._transport.terminate()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            shutil.rmtree(self.tmp_path, ignore_errors=True)
        if self._reaper is not None:
            stop_reaper(self._reaper)
        self._release_gpus()


def _run_process(argv: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float) -> ExecResult:
    """Run a process in its own session; on timeout kill the whole session, not just the leader."""
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        for pgid in session_groups(proc.pid) | {proc.pid}:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        out, err = proc.communicate()
        timed_out = True
    return ExecResult(
        exit_code=proc.returncode if not timed_out else 124,
        stdout=clean_text(out.decode("utf-8", errors="replace")),
        stderr=clean_text(err.decode("utf-8", errors="replace")),
        timed_out=timed_out,
    )
