"""Running a task's judge: trusted code, on the host, beside (never inside) the agent's sandbox.

The judge is the task's evaluation script from the task folder, run with the task's Python on the host,
in a private folder holding a copy of the submission (regular files only, see
:mod:`mlgym_tui.core.submission`), with the private data as ``$MLGYM_PRIVATE_DATA``. It imports no code
of the agent's. Where a task must run the agent's code (a strategy, a heuristic, a policy, a model), the
runtime starts the task's player driver in the agent's sandbox (:meth:`Runtime.start_player`), without
the private data, and this module relays bytes between the two: the judge reads and writes the player
through two pipes named in ``$MLGYM_PLAYER_FDS``, the player through its stdin and stdout. Two more pipes
(``$MLGYM_HOST_FDS``) let the judge ask the host what only it can measure truthfully (the player's CPU
time, from outside the sandbox). The metrics are the judge's own stdout, which no code of the agent's can
write.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from mlgym_tui.core.runtime.base import PlayerProcess, Runtime
from mlgym_tui.core.runtime.shell import clean_text
from mlgym_tui.core.task import TaskConfig
from mlgym_tui.task_lib import TASK_LIB

_PASSED_ENV = ("LANG", "LC_ALL", "TZ", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_OUTPUT_KEEP = 1 << 20


@dataclass(frozen=True)
class JudgeResult:
    """What the judge printed (stdout: the metrics; stderr: its reasons) and how its player ended."""

    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool = False
    player_stderr: str = ""


def _private_scripts(task: TaskConfig, workdir: Path) -> Path:
    """Copies of the task's Python files and the channel helper, taken before the player starts, for the
    judge to run: on a backend where the agent's code can reach the task folder, a change it makes
    while the judge starts is not run (and the fingerprint check reports it)."""
    folder = workdir.with_name(workdir.name + ".judge")
    folder.mkdir(mode=0o700)
    for source in [*task.dir.glob("*.py"), TASK_LIB / "mlgym_channel.py"]:
        if source.is_file() and source.stat().st_size < (8 << 20):
            shutil.copy2(source, folder / source.name)
    return folder


def judge_env(python: Path, workdir: Path, private_data: Path | None) -> dict[str, str]:
    """A clean environment for the judge: the task's Python first on PATH, the channel helper importable,
    no GPU (the judge only checks and counts; the player computes)."""
    env = {k: os.environ[k] for k in _PASSED_ENV if k in os.environ}
    env.update(
        {
            "PATH": os.pathsep.join([str(Path(python).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": str(workdir),
            "PYTHONPATH": str(TASK_LIB),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "CUDA_VISIBLE_DEVICES": "",
            "JAX_PLATFORMS": "cpu",
            "MPLBACKEND": "Agg",
        }
    )
    env.setdefault("LANG", "C.UTF-8")
    if private_data is not None:
        env["MLGYM_PRIVATE_DATA"] = str(private_data)
    return env


def _pump_to_player(source: int, player: PlayerProcess) -> None:
    while True:
        try:
            chunk = os.read(source, 1 << 20)
        except OSError:
            chunk = b""
        if not chunk:
            player.close_input()
            return
        player.send(chunk)


def _pump_to_judge(player: PlayerProcess, sink: int, stop: threading.Event) -> None:
    try:
        while not stop.is_set():
            chunk = player.recv(0.2)
            if chunk is None:
                continue
            if chunk == b"":
                return
            view = memoryview(chunk)
            while view:
                written = os.write(sink, view)
                view = view[written:]
    except OSError:
        return  # the judge is gone
    finally:
        with contextlib.suppress(OSError):
            os.close(sink)


def _serve_control(requests: int, replies: int, player: PlayerProcess) -> None:
    """Answer the judge's questions about its player that only the host can answer truthfully: one
    line ``cpu`` -> one line with the player's CPU seconds (or ``null``)."""
    with os.fdopen(requests, "rb") as reader, os.fdopen(replies, "wb") as writer:
        for line in reader:
            answer = player.cpu_seconds() if line.strip() == b"cpu" else None
            try:
                writer.write(f"{'null' if answer is None else repr(answer)}\n".encode())
                writer.flush()
            except OSError:
                return


def run_judge(
    task: TaskConfig, runtime: Runtime, python: Path, workdir: Path, private_data: Path | None
) -> JudgeResult:
    """Run the judge in ``workdir`` (the private submission copy) with its player if the task has one;
    both are killed when the task's evaluation timeout runs out."""
    scripts = _private_scripts(task, workdir)
    env = judge_env(python, workdir, private_data)
    env["PYTHONPATH"] = str(scripts)
    argv = [str(python), str(scripts / task.evaluation.script)]
    player: PlayerProcess | None = None
    pass_fds: tuple[int, ...] = ()
    threads: list[threading.Thread] = []
    stop = threading.Event()
    to_close: list[int] = []
    if task.evaluation.player:
        player = runtime.start_player(task.dir, task.evaluation.player, {"MLGYM_ROLE": "player"})
        judge_reads, player_writes = os.pipe()
        player_reads, judge_writes = os.pipe()
        host_reads, judge_asks = os.pipe()
        judge_hears, host_answers = os.pipe()
        pass_fds = (judge_reads, judge_writes, judge_hears, judge_asks)
        env["MLGYM_PLAYER_FDS"] = f"{judge_reads},{judge_writes}"
        env["MLGYM_HOST_FDS"] = f"{judge_hears},{judge_asks}"
        threads = [
            threading.Thread(target=_pump_to_player, args=(player_reads, player), daemon=True),
            threading.Thread(target=_pump_to_judge, args=(player, player_writes, stop), daemon=True),
            threading.Thread(target=_serve_control, args=(host_reads, host_answers, player), daemon=True),
        ]
        to_close = [judge_reads, judge_writes, judge_hears, judge_asks]
    try:
        proc = subprocess.Popen(
            argv,
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=pass_fds,
            start_new_session=True,
        )
        for fd in to_close:
            os.close(fd)
        to_close = []
        for thread in threads:
            thread.start()
        try:
            out, err = proc.communicate(timeout=task.evaluation.timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, 9)
            out, err = proc.communicate()
            timed_out = True
    finally:
        shutil.rmtree(scripts, ignore_errors=True)
        for fd in to_close:
            os.close(fd)
        stop.set()
        player_stderr = ""
        if player is not None:
            player_stderr = player.stderr_tail()
            player.close()
        for thread in threads:
            thread.join(timeout=5)
        if threads:
            with contextlib.suppress(OSError):
                os.close(player_reads)
    return JudgeResult(
        exit_code=124 if timed_out else proc.returncode,
        stdout=clean_text(out[-_OUTPUT_KEEP:].decode("utf-8", errors="replace")),
        stderr=clean_text(err[-_OUTPUT_KEEP:].decode("utf-8", errors="replace")),
        timed_out=timed_out,
        player_stderr=clean_text(player_stderr),
    )
