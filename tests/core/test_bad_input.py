"""Bad input across the CLI, as a careless user types it: each case exits 2 with one line saying why (or
has the documented visible behaviour), never a traceback, and writes nothing outside ``--out``.

One row per class of mistake; a row names what it sets up, the arguments, the exit code and a phrase the
message must hold. Rows that exit through argparse print its usage before the error line; they are marked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import PROJECT

Setup = Callable[[Path], None]


def _nothing(_: Path) -> None:
    pass


def _file(name: str, data: bytes) -> Setup:
    def make(root: Path) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return make


def _task_yaml(text: bytes) -> Setup:
    return _file("tasks/broken/task.yaml", text)


def _with_limit(field: str, value: str) -> Setup:
    def make(root: Path) -> None:
        text = (PROJECT / "tasks" / "prisonersDilemma" / "task.yaml").read_text()
        text = text.replace("id: prisonersDilemma", "id: broken").replace("limits:\n", f"limits:\n  {field}: {value}\n", 1)
        text = "\n".join(line for line in text.splitlines()
                         if not (line.strip().startswith(f"{field}:") and line.strip() != f"{field}: {value}"))
        folder = root / "tasks" / "broken"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "task.yaml").write_text(text)
        for name in ("strategy.py", "evaluate.py", "player.py"):
            if (PROJECT / "tasks" / "prisonersDilemma" / name).exists():
                (folder / name).write_bytes((PROJECT / "tasks" / "prisonersDilemma" / name).read_bytes())

    return make


def _run_folder(root: Path) -> Path:
    folder = root / "runs" / "prisonersDilemma" / "x" / "20260101T000000Z-s0"
    folder.mkdir(parents=True, exist_ok=True)
    header = {"kind": "header", "schema": "mlgym-tui/trajectory", "version": 1, "task": "prisonersDilemma",
              "agent": "x", "model": None, "backend": "local", "seed": 0}
    event = {"kind": "observation", "step": 1, "time": 1.0, "text": "hi", "exit_code": 0}
    (folder / "trajectory.jsonl").write_text(json.dumps(header) + "\n" + json.dumps(event) + "\n")
    return folder


def _nested_run(root: Path) -> None:
    folder = _run_folder(root)
    deep = '{"kind": "observation", "step": 2, "time": 2.0, "text": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with (folder / "trajectory.jsonl").open("a") as f:
        f.write(deep + "\n")


def _plain_run(root: Path) -> None:
    _run_folder(root)


def _export_dir(root: Path) -> None:
    _run_folder(root)
    (root / "out" / "report").mkdir(parents=True)


def _dot_dot_import(root: Path) -> None:
    """A .traj whose recorded task and agent names are paths leading out of ``--out``."""
    folder = root / "in" / "run"
    folder.mkdir(parents=True)
    traj = {"trajectory": [{"action": "ls", "observation": "x", "thought": "t", "response": "r"}],
            "info": {"exit_status": "submitted", "model_stats": {},
                     "mlgym_tui": {"task": "../../escape", "agent": ".."}}, "history": []}
    (folder / "x.traj").write_text(json.dumps(traj))


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]
    says: str
    setup: Setup = _nothing
    code: int = 2
    argparse: bool = False


CASES = [
    Case("unknown task", ("run", "noSuchTask", "--agent", "baseline", "--out", "{out}"), "unknown task"),
    Case("agent is a function", ("run", "prisonersDilemma", "--agent", "os:system", "--out", "{out}"),
         "is not an agent class"),
    Case("agent module missing", ("run", "prisonersDilemma", "--agent", "no_such_mod:X", "--out", "{out}"),
         "cannot load agent"),
    Case("agent name unknown", ("run", "prisonersDilemma", "--agent", "nobody", "--out", "{out}"), "unknown agent"),
    Case("--out is a file", ("run", "prisonersDilemma", "--agent", "baseline", "--out", "{root}/afile"),
         "cannot create the run folder", _file("afile", b"x")),
    Case("--out unwritable", ("run", "prisonersDilemma", "--agent", "baseline", "--out", "/proc/mlgym-no"),
         "cannot create the run folder"),
    Case("--max-steps 0", ("run", "prisonersDilemma", "--agent", "baseline", "--max-steps", "0", "--out", "{out}"),
         "--max-steps 0: must be at least 1"),
    Case("--max-steps negative", ("run", "prisonersDilemma", "--agent", "baseline", "--max-steps", "-1",
                                  "--out", "{out}"), "must be at least 1"),
    Case("negative seed", ("run", "prisonersDilemma", "--agent", "baseline", "--seed", "-3", "--out", "{out}"),
         "--seed -3: must be 0 or more"),
    Case("--pids-limit negative", ("run", "prisonersDilemma", "--agent", "baseline", "--pids-limit", "-5",
                                   "--out", "{out}"), "--pids-limit -5"),
    Case("--cpus 0", ("run", "prisonersDilemma", "--agent", "baseline", "--cpus", "0", "--out", "{out}"),
         "--cpus 0"),
    Case("unknown backend", ("run", "prisonersDilemma", "--backend", "vm", "--out", "{out}"), "invalid choice",
         argparse=True),
    Case("binary task.yaml, tasks show", ("tasks", "show", "broken", "--tasks-dir", "{root}/tasks"),
         "not a text file", _task_yaml(bytes(range(128, 256)))),
    Case("binary task.yaml, run", ("run", "broken", "--tasks-dir", "{root}/tasks", "--agent", "baseline",
                                   "--out", "{out}"), "not a text file", _task_yaml(bytes(range(128, 256)))),
    Case("task.yaml not YAML", ("tasks", "show", "broken", "--tasks-dir", "{root}/tasks"), "invalid YAML",
         _task_yaml(b"id: [unclosed\n")),
    Case("task.yaml a list", ("tasks", "show", "broken", "--tasks-dir", "{root}/tasks"), "expected a mapping",
         _task_yaml(b"- a\n- b\n")),
    Case("task.yaml negative step limit", ("tasks", "show", "broken", "--tasks-dir", "{root}/tasks"),
         "limits.max_steps", _with_limit("max_steps", "-4")),
    Case("task.yaml zero wall time", ("tasks", "show", "broken", "--tasks-dir", "{root}/tasks"),
         "limits.wall_time", _with_limit("wall_time", "0")),
    Case("task.yaml negative disk limit", ("tasks", "show", "broken", "--tasks-dir", "{root}/tasks"),
         "limits.max_workspace_bytes", _with_limit("max_workspace_bytes", "-1")),
    Case("export of a missing run", ("export", "{root}/nothing", "--format", "json"), "nothing"),
    Case("export -o a folder", ("export", "{root}/runs/prisonersDilemma/x/20260101T000000Z-s0", "--format", "json",
                                "-o", "{root}/out/report"), "is a folder", _export_dir),
    Case("export unknown format", ("export", "{root}/runs", "--format", "pdf"), "invalid choice", argparse=True),
    Case("score --tau-max inf", ("score", "{root}/runs", "--tau-max", "inf"), "--tau-max", _plain_run),
    Case("score --tau-max nan", ("score", "{root}/runs", "--tau-max", "nan"), "--tau-max", _plain_run),
    Case("score --tau-max 0", ("score", "{root}/runs", "--tau-max", "0"), "--tau-max", _plain_run),
    Case("score --attempts 0", ("score", "{root}/runs", "--attempts", "0"), "--attempts", _plain_run),
    Case("score of nothing", ("score", "{root}/empty"), "no finished runs", _file("empty/.keep", b"")),
    Case("batch --attempts 1e14", ("batch", "--tasks", "prisonersDilemma", "--agents", "baseline", "--attempts",
                                   "1e14", "--out", "{out}"), "invalid int value", argparse=True),
    Case("batch --attempts huge", ("batch", "--tasks", "prisonersDilemma", "--agents", "baseline", "--attempts",
                                   "100000000000000", "--out", "{out}"), "must be between 1 and"),
    Case("batch --workers 0", ("batch", "--tasks", "prisonersDilemma", "--agents", "baseline", "--workers", "0",
                               "--out", "{out}"), "--workers must be at least 1"),
    Case("unknown command", ("frobnicate",), "invalid choice", argparse=True),
]


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "MLGYM_TASKS_DIR": str(PROJECT / "tasks")}
    return subprocess.run([sys.executable, "-m", "mlgym_tui.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120, stdin=subprocess.DEVNULL)


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_one_line_and_exit_2(case: Case, tmp_path: Path) -> None:
    root, cwd = tmp_path / "root", tmp_path / "cwd"
    root.mkdir()
    cwd.mkdir()
    case.setup(root)
    before = _files(root)
    args = [a.replace("{root}", str(root)).replace("{out}", str(root / "out")) for a in case.args]
    proc = _cli(args, cwd)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == case.code, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    if case.argparse:
        assert "error:" in lines[-1] and case.says in lines[-1], proc.stderr
    else:
        assert len(lines) == 1 and case.says in lines[0], proc.stderr
    assert not any(cwd.iterdir()), "something was written in the working folder"
    created = {p for p in _files(root) - before if not p.is_relative_to(root / "out")}
    assert not created, f"written outside --out: {sorted(created)}"


@pytest.mark.parametrize("fmt", ["json", "md", "html", "traj", "cast"])
def test_a_deeply_nested_line_is_skipped_with_a_warning_in_every_export(fmt: str, tmp_path: Path) -> None:
    _nested_run(tmp_path)
    run = tmp_path / "runs" / "prisonersDilemma" / "x" / "20260101T000000Z-s0"
    proc = _cli(["export", str(run), "--format", fmt, "-o", str(tmp_path / f"report.{fmt}")], tmp_path)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "nested too deeply" in proc.stderr
    assert (tmp_path / f"report.{fmt}").stat().st_size > 0


def test_an_import_never_writes_outside_out(tmp_path: Path) -> None:
    _dot_dot_import(tmp_path)
    out = tmp_path / "deep" / "a" / "b" / "out"
    proc = _cli(["import", str(tmp_path / "in"), "--out", str(out)], tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr
    written = [p for p in tmp_path.rglob("trajectory.jsonl")]
    assert all(p.is_relative_to(out) for p in written), written
    assert written and not (tmp_path / "deep" / "a" / "escape").exists()
