"""Runs an MLGym task's evaluation script the way MLGym runs it, and prints its metrics as one JSON line.

This file is copied next to the converted task's files and executed as the task's evaluation script (by
the runtime's trusted channel, working folder = the agent's workspace). It is standalone (standard library
only) because it runs inside the sandbox's Python, not mlgym-tui's.

What MLGym does, per ``task_entrypoint`` (its ``mlgym/environment/tasks.py``):

- ``CSVSubmissionTasks``: needs ``submission.csv`` in the workspace, then runs
  ``python evaluate.py --submission_file <workspace>/submission.csv``; the whole output must be one JSON
  object.
- ``PythonSubmissionTasks``: ``python evaluate.py`` (it imports the agent's code from the workspace); the
  whole output must be one JSON object.
- ``ModelSubmissionTasks``: needs a ``*.yaml`` file in the workspace (the first one found), then
  ``python evaluate.py --config_fname <it>``; the first output line starting with ``{`` is the metrics.
- ``LMSubmissionTasks``: ``torchrun --nproc_per_node=<GPUs> --standalone evaluate.py`` (plain ``python``
  without GPUs); the first output line starting with ``{``.

Two differences, both deliberate (docs/mlgym-tasks.md): the script that runs is the task's own copy (next
to this file), never the workspace's, while ``sys.path`` and ``argv[0]`` point at the workspace as in
MLGym, so ``from strategy import row_strategy`` finds the agent's file (with secret files, at a view of the
workspace with them linked in, in a scratch folder); and only stdout is parsed (MLGym
parses stdout and stderr together, so a library's warning on stderr would void a correct submission).

Exit status: 0 with ``{"metric": number, ...}`` on stdout; 1 with one reason on stderr otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SPEC_FILE = "mlgym_task.json"
"""Written beside this file by the converter: ``{"entrypoint": ..., "evaluation": "evaluate.py"}``."""

_BOOTSTRAP = (
    "import runpy, sys\n"
    "script, workspace, shown = sys.argv[1:4]\n"
    "sys.argv = [shown, *sys.argv[4:]]\n"
    "sys.path[0] = workspace\n"
    "runpy.run_path(script, run_name='__main__')\n"
)
"""Runs the trusted script as if it were the workspace's copy: ``sys.path[0]`` and ``argv[0]`` as MLGym's
``python <workspace>/evaluate.py`` would have them."""

STDERR_TAIL = 15


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def _first_yaml(workspace: Path) -> Path | None:
    """MLGym takes the first line of ``find <workspace> -type f -name '*.yaml'``; sorted here, so the
    choice does not depend on the file system's order."""
    for root, dirs, files in os.walk(workspace):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".yaml"):
                return Path(root) / name
    return None


def _overlay(workspace: Path, private: Path, view: Path) -> None:
    """``view``: the workspace as links, with the private files linked in at their workspace paths (a
    workspace folder on the way becomes a real folder of links), so the script finds ``data/answer.csv``
    relative to its working folder while the agent's workspace never holds it."""
    view.mkdir()
    for entry in workspace.iterdir():
        (view / entry.name).symlink_to(entry)
    for file in sorted(p for p in private.rglob("*") if p.is_file()):
        rel = file.relative_to(private)
        here = view
        for part in rel.parts[:-1]:
            step = here / part
            if step.is_symlink():
                real = step.resolve()
                step.unlink()
                step.mkdir()
                if real.is_dir():
                    for entry in real.iterdir():
                        (step / entry.name).symlink_to(entry)
            elif not step.exists():
                step.mkdir()
            here = step
        dest = here / rel.name
        if dest.is_symlink() or dest.exists():
            dest.unlink()
        dest.symlink_to(file)


def _gpu_count() -> int:
    if not shutil.which("nvidia-smi"):
        return 0
    try:
        out = subprocess.run(["nvidia-smi", "--list-gpus"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return 0
    return len([line for line in out.stdout.splitlines() if line.strip()]) if out.returncode == 0 else 0


def parse_output(entrypoint: str, stdout: str) -> dict[str, object]:
    """MLGym's parsing rule for the entrypoint; ValueError with the reason when it finds no metrics."""
    if entrypoint in ("ModelSubmissionTasks", "LMSubmissionTasks"):
        line = next((ln for ln in stdout.split("\n") if ln.strip().startswith("{")), None)
        if line is None:
            raise ValueError("no output line starts with '{'")
        text = line
    else:
        text = stdout
    try:
        metrics = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the output is not one JSON object ({exc.msg})") from exc
    if not isinstance(metrics, dict):
        raise ValueError("the output is JSON but not an object of metrics")
    return metrics


def main() -> int:
    here = Path(__file__).resolve().parent
    spec = json.loads((here / SPEC_FILE).read_text(encoding="utf-8"))
    entrypoint = spec["entrypoint"]
    name = spec["evaluation"]
    workspace = Path.cwd()
    script = here / name
    args: list[str] = []
    if entrypoint == "CSVSubmissionTasks":
        submission = workspace / "submission.csv"
        if not submission.is_file():
            return _fail("no submission.csv in the workspace: write your predictions on the test set to it")
        args = ["--submission_file", str(submission)]
    elif entrypoint == "ModelSubmissionTasks":
        config = _first_yaml(workspace)
        if config is None:
            return _fail("no submission artefacts: save the model's checkpoints and its config (a .yaml file)")
        args = ["--config_fname", str(config)]
    private = os.environ.get("MLGYM_PRIVATE_DATA")
    with tempfile.TemporaryDirectory(prefix="mlgym-evaluation-") as scratch:
        run_in = workspace
        if private and Path(private).is_dir():
            run_in = Path(scratch) / "workspace"
            _overlay(workspace, Path(private), run_in)
        return _run(entrypoint, script, name, run_in, args)


def _run(entrypoint: str, script: Path, name: str, workspace: Path, args: list[str]) -> int:
    launcher = [sys.executable, "-c", _BOOTSTRAP]
    gpus = _gpu_count() if entrypoint == "LMSubmissionTasks" else 0
    if gpus and shutil.which("torchrun"):
        # torchrun takes a script, not -c: run the trusted copy directly, the workspace first on the path.
        launcher = ["torchrun", f"--nproc_per_node={gpus}", "--standalone", str(script)]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(workspace), os.environ.get("PYTHONPATH")]))}
        argv = [*launcher, *args]
    else:
        env = dict(os.environ)
        argv = [*launcher, str(script), str(workspace), str(workspace / name), *args]
    proc = subprocess.run(argv, cwd=workspace, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    try:
        metrics = parse_output(entrypoint, proc.stdout)
    except ValueError as exc:
        tail = "\n".join(proc.stderr.strip().splitlines()[-STDERR_TAIL:])
        reason = f"the evaluation printed no metrics: {exc} (exit code {proc.returncode})"
        return _fail(f"{reason}\n{tail}" if tail else reason)
    print(json.dumps(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
