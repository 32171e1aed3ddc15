"""The contract every sandbox backend meets, so tools, evaluation and sessions never care which runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

OutputCallback = Callable[[str], None]


@dataclass(frozen=True)
class CommandResult:
    """What one command in the persistent shell produced.

    ``output`` is stdout and stderr interleaved as the shell saw them, capped (head and tail kept, the cut
    announced in the text). ``exit_code`` is the command's status; on a timeout it is 124 (as coreutils'
    ``timeout``) and ``timed_out`` is set.
    """

    output: str
    exit_code: int
    duration: float
    timed_out: bool = False
    cut_bytes: int = 0
    shell_restarted: bool = False


@dataclass(frozen=True)
class ExecResult:
    """A one-off process run beside the agent's shell (evaluation, searches): separate streams."""

    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool = False


@dataclass(frozen=True)
class FileEntry:
    """One thing under a scanned path, as the sandbox's file system has it (links not followed)."""

    path: str
    """Relative to the scanned path ("" for the path itself)."""
    kind: str
    """``file``, ``dir``, ``link``, ``fifo``, ``socket``, ``device`` or ``other``. A path reached through
    a linked folder counts as a ``link``."""
    size: int = 0
    """Apparent size in bytes (what reading it yields)."""
    disk: int = 0
    """Bytes it takes on disk (less than ``size`` for a sparse file)."""


class PlayerProcess(Protocol):
    """The agent's code running for an evaluation, in the sandbox, reachable only through its stdin and
    stdout (the judge's channel); stderr is kept apart (its tail, for error messages)."""

    def send(self, data: bytes) -> None:
        """Write to the player's stdin (a dead player is noticed by :meth:`recv` returning EOF)."""

    def recv(self, timeout: float) -> bytes | None:
        """Output that arrives within ``timeout``: ``None`` if none did, ``b""`` at end of stream."""

    def close_input(self) -> None:
        """End the player's stdin (it sees EOF and should exit)."""

    def stderr_tail(self) -> str:
        """The last few kilobytes the player wrote to stderr."""

    def cpu_seconds(self) -> float | None:
        """CPU seconds the player (and what it started) used so far, as the kernel counts them, read from
        outside the sandbox so the player cannot fake it; None where the backend cannot tell."""

    def close(self) -> None:
        """Kill the player and everything it started. Safe to call twice."""


@dataclass
class RuntimeSettings:
    """How to build a sandbox. Backends ignore the fields that mean nothing to them."""

    env: dict[str, str] = field(default_factory=dict)
    """Extra environment variables for the agent's shell."""
    path_prepend: list[str] = field(default_factory=list)
    """Host folders put first on PATH (the task's virtual environment); local backend only."""
    python: str = "python3"
    """Interpreter for the evaluation (the task's virtual environment on the local backend)."""
    output_cap_bytes: int = 100_000
    """Most bytes of one command's output kept; half from the start, half from the end."""
    image: str = "mlgym-tui/task:latest"
    """Docker image for the episode container."""
    network: bool = False
    """Allow the container to reach the network."""
    memory: str | None = "8g"
    """Container memory limit (Docker syntax, e.g. ``4g``); None for no limit."""
    cpus: float | None = None
    """CPUs the container may use; None for no limit."""
    pids_limit: int | None = 1024
    """Most processes in the container; stops fork bombs."""
    gpus: list[str] | None = None
    """GPU device ids for this episode's container (``["all"]`` for every GPU); None for none."""
    labels: dict[str, str] = field(default_factory=dict)
    """Extra container labels (batch id, run folder)."""
    gpus_per_episode: int | None = None
    """With ``gpus``: take this many devices from that pool for each episode, disjoint from the devices
    of every other episode running on this host; None gives every episode all of ``gpus``."""
    max_workspace_bytes: int | None = None
    """Most bytes on disk the workspace may take while the episode runs (None: no limit)."""
    read_only: list[str] = field(default_factory=list)
    """Workspace paths (relative) the agent must not change; backends that can enforce it make them
    unwritable by the agent as they are copied in (the task's ``read_only`` list)."""


@runtime_checkable
class Runtime(Protocol):
    """One sandbox for one episode: a persistent shell, a file API and a trusted evaluation channel."""

    name: str
    workspace: str
    """The agent's starting folder, as a path inside the sandbox."""

    def start(self) -> None:
        """Create the sandbox and its shell. Idempotent."""

    def run(self, command: str, timeout: float, on_output: OutputCallback | None = None) -> CommandResult:
        """Run ``command`` in the persistent shell, streaming capped output to ``on_output``."""

    def cwd(self) -> str:
        """The shell's current folder after the last command."""

    def read_file(self, path: str) -> bytes:
        """Read a file inside the sandbox; raises FileNotFoundError / IsADirectoryError like ``open``."""

    def write_file(self, path: str, data: bytes) -> None:
        """Write (create or replace) a file inside the sandbox, creating parent folders."""

    def exists(self, path: str) -> bool:
        """Whether ``path`` exists inside the sandbox."""

    def copy_in(self, host_path: Path, path: str) -> None:
        """Copy a host file or folder into the sandbox at ``path``."""

    def copy_out(self, path: str, host_path: Path) -> None:
        """Copy a sandbox file or folder out to ``host_path``."""

    def exec(self, argv: Sequence[str], timeout: float) -> ExecResult:
        """Run a process outside the agent's shell (its state is untouched), in the workspace."""

    def scan(self, path: str) -> list[FileEntry]:
        """Everything under ``path`` (itself first), links not followed; FileNotFoundError if absent."""

    def read_regular(self, path: str, max_bytes: int) -> bytes:
        """The bytes of ``path`` if it is a regular file (reached without links) of at most ``max_bytes``;
        OSError otherwise. Reads at most ``max_bytes + 1`` bytes whatever the file claims."""

    def evaluate_in_sandbox(
        self, task_dir: Path, script: str, timeout: float, private_data: Path | None
    ) -> ExecResult:
        """Legacy grading, only for tasks whose evaluation is not yet split into judge and player
        (``evaluation.judge: sandbox``): the whole evaluation script runs beside the agent's code, in the
        workspace, with the private data (docker: a separate container, workspace read-only). Its metrics
        can be forged by the agent's code; they are still checked against the declared names and bounds."""

    def start_player(self, task_dir: Path, script: str, env: dict[str, str]) -> PlayerProcess:
        """Start ``task_dir/script`` (the task's trusted player driver, which imports the agent's code) in
        the agent's sandbox, in the workspace, without the private data, with ``env`` added and the
        channel helper (:mod:`mlgym_tui.task_lib`) importable. Its stdin and stdout are the judge's
        channel. Backends give it the strongest isolation they have (see README: what each protects)."""

    def close(self) -> None:
        """Stop everything and remove the sandbox. Safe to call twice."""
