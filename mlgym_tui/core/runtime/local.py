"""The local backend: a persistent bash on the host, in a fresh workspace folder per episode.

No daemon, no image: the embedded default. It isolates nothing (the agent runs as you); the test data
is kept outside the workspace and handed only to the evaluation process.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from mlgym_tui.core.errors import SandboxError
from mlgym_tui.core.runtime.base import CommandResult, ExecResult, FileEntry, OutputCallback, RuntimeSettings
from mlgym_tui.core.runtime.host_files import read_regular, scan_tree
from mlgym_tui.core.runtime.local_player import LocalPlayer
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


def _session_groups(sid: int) -> set[int]:
    """Process groups whose processes belong to session ``sid`` (read from /proc)."""
    groups: set[int] = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if int(fields[3]) == sid:  # fields: state ppid pgrp session ...
            groups.add(int(fields[2]))
    return groups


class _LocalBashTransport:
    """``bash`` as a child process in its own session; stdout and stderr share one pipe."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd = cwd
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self._spawn()

    def _spawn(self) -> None:
        self.proc = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=self.cwd,
            env=self.env,
            start_new_session=True,
        )
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
        assert self.proc is not None
        return _session_groups(self.proc.pid) - {self.proc.pid}

    def kill_process_groups(self, pgids: set[int]) -> None:
        for pgid in pgids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)

    def signal_shell(self, signum: int) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signum)

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
        """Kill the shell and everything in its session."""
        if self.proc is None:
            return
        for pgid in _session_groups(self.proc.pid) | {self.proc.pid}:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


class LocalRuntime:
    """A workspace folder on the host and one bash in it."""

    name = "local"

    def __init__(self, settings: RuntimeSettings | None = None, workspace: Path | None = None) -> None:
        self.settings = settings or RuntimeSettings()
        self._own_root = workspace is None
        self.root = Path(tempfile.mkdtemp(prefix="mlgym-episode-")) if workspace is None else workspace.parent
        self.workspace_path = (self.root / "workspace") if workspace is None else workspace
        self.workspace_path.mkdir(parents=True, exist_ok=True)
        self.workspace = str(self.workspace_path)
        self._transport: _LocalBashTransport | None = None
        self._shell: PersistentShell | None = None
        self._closed = False

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
                "PYTHONUNBUFFERED": "1",
                "PAGER": "cat",
                "GIT_PAGER": "cat",
                "MPLBACKEND": "Agg",
            }
        )
        env.setdefault("LANG", "C.UTF-8")
        env.update(self.settings.env)
        return env

    def start(self) -> None:
        if self._shell is not None:
            return
        self._transport = _LocalBashTransport(self.workspace_path, self.shell_env())
        self._shell = PersistentShell(self._transport, self.settings.output_cap_bytes)
        self._shell.initialise(self.workspace)

    def run(self, command: str, timeout: float, on_output: OutputCallback | None = None) -> CommandResult:
        if self._shell is None:
            raise SandboxError("runtime not started")
        return self._shell.run(command, timeout, on_output)

    def cwd(self) -> str:
        return self._shell.current_dir if self._shell else self.workspace

    def _host(self, path: str) -> Path:
        p = Path(path)
        return p if p.is_absolute() else Path(self.cwd()) / p

    def read_file(self, path: str) -> bytes:
        return self._host(path).read_bytes()

    def write_file(self, path: str, data: bytes) -> None:
        target = self._host(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def exists(self, path: str) -> bool:
        return self._host(path).exists()

    def copy_in(self, host_path: Path, path: str) -> None:
        _copy(host_path, self._host(path))

    def copy_out(self, path: str, host_path: Path) -> None:
        _copy(self._host(path), host_path)

    def exec(self, argv: Sequence[str], timeout: float) -> ExecResult:
        return _run_process(argv, cwd=Path(self.cwd()), env=self.shell_env(), timeout=timeout)

    def scan(self, path: str) -> list[FileEntry]:
        return scan_tree(str(self._host(path)))

    def read_regular(self, path: str, max_bytes: int) -> bytes:
        return read_regular(str(self._host(path)), max_bytes)

    def start_player(self, task_dir: Path, script: str, env: dict[str, str]) -> LocalPlayer:
        """The player as a child process in the agent's environment (see :mod:`.local_player`)."""
        player_env = {**self.shell_env(), "PYTHONDONTWRITEBYTECODE": "1", **env}
        player_env["PYTHONPATH"] = str(TASK_LIB)
        argv = [self.settings.python, str(task_dir / script)]
        return LocalPlayer(argv, cwd=self.workspace_path, env=player_env)

    def evaluate_in_sandbox(self, task_dir: Path, script: str, timeout: float, private_data: Path | None) -> ExecResult:
        env = self.shell_env()
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        if private_data is not None:
            env["MLGYM_PRIVATE_DATA"] = str(private_data)
        argv = [self.settings.python, str(task_dir / script)]
        return _run_process(argv, cwd=self.workspace_path, env=env, timeout=timeout)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._transport is not None:
            self._transport.terminate()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst, dirs_exist_ok=True, symlinks=True)
    else:
        shutil.copy2(src, dst)


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
        for pgid in _session_groups(proc.pid) | {proc.pid}:
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
