"""Running a task's judge: trusted code, on the host, beside (never inside) the agent's sandbox.

The judge is the task's evaluation script from the task folder, run with the task's Python on the host,
in a private folder holding a copy of the submission (regular files only, see
:mod:`mlgym_tui.core.submission`), with the private data as ``$MLGYM_PRIVATE_DATA``. It imports no code
of the agent's. Where a task must run the agent's code (a strategy, a heuristic, a policy, a model), the
runtime starts the task's player driver in the agent's sandbox (:meth:`Runtime.start_player`), without
the private data, and :class:`~mlgym_tui.core.player_relay.PlayerRelay` relays bytes between the two:
the judge reads and writes each player through pipes named in ``$MLGYM_PLAYER_FDS`` (a second slot is a
fresh player process, started after the first is killed), the player through its stdin and stdout. Two
more pipes (``$MLGYM_HOST_FDS``) let the judge ask the host what only it can measure truthfully (the
player's CPU time, from outside the sandbox). The metrics are the judge's own stdout, which no code of
the agent's can write.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mlgym_tui.core.player_relay import PlayerRelay
from mlgym_tui.core.runtime.base import Runtime
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


DIE_WITH_PARENT = (
    "import ctypes, os, sys\n"
    "ctypes.CDLL(None).prctl(1, 9)\n"  # PR_SET_PDEATHSIG = 1: SIGKILL when the parent ends
    "if os.getppid() != int(sys.argv[1]):\n"  # it ended before the line above: end now
    "    os._exit(137)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)
"""Runs the judge so that it is killed when the process that started it ends, SIGKILL included (the judge
runs in a session of its own, out of reach of a terminal's Ctrl-C): a judge must not go on scoring for
an episode that is gone."""


def run_judge(
    task: TaskConfig, runtime: Runtime, python: Path, workdir: Path, private_data: Path | None
) -> JudgeResult:
    """Run the judge in ``workdir`` (the private submission copy) with its player if the task has one;
    both are killed when the task's evaluation timeout runs out."""
    scripts = _private_scripts(task, workdir)
    env = judge_env(python, workdir, private_data)
    env["PYTHONPATH"] = str(scripts)
    argv = [str(python), "-c", DIE_WITH_PARENT, str(os.getpid()), str(python), str(scripts / task.evaluation.script)]
    relay: PlayerRelay | None = None
    if task.evaluation.player:
        player_script = task.evaluation.player
        relay = PlayerRelay(lambda: runtime.start_player(task.dir, player_script, {"MLGYM_ROLE": "player"}))
        env.update(relay.judge_env())
    player_stderr = ""
    try:
        proc = subprocess.Popen(
            argv,
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=relay.judge_fds if relay is not None else (),
            start_new_session=True,
        )
        if relay is not None:
            relay.start()
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
        if relay is not None:
            player_stderr = relay.close()
    return JudgeResult(
        exit_code=124 if timed_out else proc.returncode,
        stdout=clean_text(out[-_OUTPUT_KEEP:].decode("utf-8", errors="replace")),
        stderr=clean_text(err[-_OUTPUT_KEEP:].decode("utf-8", errors="replace")),
        timed_out=timed_out,
        player_stderr=clean_text(player_stderr),
    )
