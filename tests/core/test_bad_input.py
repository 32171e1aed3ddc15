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


def _run_file(content: bytes) -> Setup:
    """A run folder whose trajectory.jsonl holds ``content`` (empty, binary, cut in its first line)."""
    return _file("bad/trajectory.jsonl", content)


def _both(*setups: Setup) -> Setup:
    def make(root: Path) -> None:
        for setup in setups:
            setup(root)

    return make


BINARY = bytes(range(128, 256)) * 4
CLOSED = "http://127.0.0.1:1/v1"
"""A model server address nothing listens on (connections are refused at once)."""


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]
    says: str
    setup: Setup = _nothing
    code: int = 2
    argparse: bool = False
    unset: tuple[str, ...] = ()
    """Environment variables the command must not see (an API key the machine may hold)."""


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
    # the model and the agent's config
    Case("--base-url where nothing listens", ("run", "prisonersDilemma", "--agent", "default", "--model", "m",
                                              "--base-url", CLOSED, "--out", "{out}"), "cannot reach the server"),
    Case("--model with the baseline agent", ("run", "prisonersDilemma", "--model", "openai:gpt-4o", "--out", "{out}"),
         "the baseline agent calls no model"),
    Case("--model of no provider", ("run", "prisonersDilemma", "--agent", "default", "--model", "foo",
                                    "--out", "{out}"), "write openai:MODEL"),
    Case("--model without its key", ("run", "prisonersDilemma", "--agent", "default", "--model", "openai:gpt-4o",
                                     "--out", "{out}"), "set the OPENAI_API_KEY", unset=("OPENAI_API_KEY",)),
    Case("template names an unknown variable", ("run", "prisonersDilemma", "--agent", "default", "--model", "m",
                                                "--base-url", CLOSED, "-c", "{root}/t.yaml", "--out", "{out}"),
         "template 'system' uses no_such_var", _file("t.yaml", b"templates:\n  system: '{{ no_such_var }}'\n")),
    Case("template syntax error", ("run", "prisonersDilemma", "--agent", "default", "--model", "m", "--base-url",
                                   CLOSED, "-c", "{root}/t.yaml", "--out", "{out}"), "template syntax error",
         _file("t.yaml", b"templates:\n  system: '{{ nope'\n")),
    Case("-c file missing", ("run", "prisonersDilemma", "--agent", "default", "-c", "{root}/none.yaml",
                             "--out", "{out}"), "no such file"),
    Case("-c file not YAML", ("run", "prisonersDilemma", "--agent", "default", "-c", "{root}/t.yaml",
                              "--out", "{out}"), "invalid YAML", _file("t.yaml", b"a: [\n")),
    Case("-c file binary", ("run", "prisonersDilemma", "--agent", "default", "-c", "{root}/t.yaml", "--out", "{out}"),
         "not a text file", _file("t.yaml", BINARY)),
    Case("-c value of the wrong type", ("run", "prisonersDilemma", "--agent", "default", "-c",
                                        "model.temperature=hot", "--out", "{out}"), "model.temperature"),
    Case("-c a negative answer length", ("run", "prisonersDilemma", "--agent", "default", "-c",
                                         "model.max_tokens=-5", "--out", "{out}"), "model.max_tokens"),
    Case("-c a negative cost limit", ("run", "prisonersDilemma", "--agent", "default", "-c", "limits.cost=-1",
                                      "--out", "{out}"), "limits.cost"),
    Case("-c unknown key", ("run", "prisonersDilemma", "--agent", "default", "-c", "no.such=1", "--out", "{out}"),
         "unknown field"),
    Case("sweep: unknown option", ("run", "prisonersDilemma", "--agent", "sweep", "-c", "nonsense=1",
                                   "--out", "{out}"), "unknown option"),
    Case("sweep: max_evals negative", ("run", "prisonersDilemma", "--agent", "sweep", "-c", "max_evals=-1",
                                       "--out", "{out}"), "max_evals=-1"),
    Case("replay agent without a path", ("run", "prisonersDilemma", "--agent", "replay", "--out", "{out}"),
         "-c path="),
    Case("replay agent of a binary trajectory", ("run", "prisonersDilemma", "--agent", "replay", "-c",
                                                 "path={root}/bad", "--out", "{out}"), "not a trajectory",
         _run_file(BINARY)),
    # episode options
    Case("--out empty", ("run", "prisonersDilemma", "--out", ""), "--out ''"),
    Case("--memory-from missing", ("run", "prisonersDilemma", "--memory-from", "{root}/none", "--out", "{out}"),
         "--memory-from"),
    Case("--memory-dir a file", ("run", "prisonersDilemma", "--memory-dir", "{root}/afile", "--out", "{out}"),
         "not a folder", _file("afile", b"x")),
    Case("--gpus not a device", ("run", "prisonersDilemma", "--gpus", "x", "--out", "{out}"), "not a device index"),
    Case("--gpus-per-episode 0", ("run", "prisonersDilemma", "--gpus", "0", "--gpus-per-episode", "0",
                                  "--out", "{out}"), "--gpus-per-episode 0"),
    Case("--memory-limit not a size", ("run", "prisonersDilemma", "--memory-limit", "lots", "--out", "{out}"),
         "--memory-limit lots"),
    Case("--tasks-dir missing", ("run", "prisonersDilemma", "--tasks-dir", "{root}/none", "--out", "{out}"),
         "no such folder"),
    Case("docker image missing", ("run", "prisonersDilemma", "--backend", "docker", "--image", "no-such-image:x",
                                  "--out", "{out}"), "docker"),
    Case("human: negative seed, before the TUI", ("human", "prisonersDilemma", "--seed", "-1", "--out", "{out}"),
         "--seed -1"),
    Case("watch: negative pace, before the TUI", ("watch", "prisonersDilemma", "--pace", "-1"), "--pace -1"),
    Case("watch: --max-steps 0, before the TUI", ("watch", "prisonersDilemma", "--max-steps", "0"),
         "--max-steps 0"),
    # tasks
    Case("task.yaml empty", ("tasks", "show", "broken", "--tasks-dir", "{root}/tasks"), "expected a mapping",
         _task_yaml(b"")),
    Case("task.yaml missing a field", ("tasks", "show", "broken", "--tasks-dir", "{root}/tasks"),
         "required field is missing", _task_yaml(b"id: broken\nname: x\n")),
    Case("negative step limit passes no static check", ("tasks", "check", "--static", "broken", "--tasks-dir",
                                                        "{root}/tasks"), "limits.max_steps",
         _with_limit("max_steps", "-4")),
    Case("tasks show without an id", ("tasks", "show"), "needs a task id"),
    Case("tasks: unknown action", ("tasks", "frob"), "invalid choice", argparse=True),
    # reading runs: export, score, import, replay
    Case("export of an empty trajectory", ("export", "{root}/bad", "--format", "md"), "empty file", _run_file(b"")),
    Case("export of a binary trajectory", ("export", "{root}/bad", "--format", "html"), "not a trajectory",
         _run_file(BINARY)),
    Case("export of a trajectory cut in line 1", ("export", "{root}/bad", "--format", "cast"), "not valid JSON",
         _run_file(b'{"kind": "header", "sche')),
    Case("export -o where no folder can be made", ("export", "{root}/runs/prisonersDilemma/x/20260101T000000Z-s0",
                                                   "--format", "json", "-o", "{root}/afile/x.json"),
         "cannot create its folder", _both(_plain_run, _file("afile", b"x"))),
    Case("score of a missing folder", ("score", "{root}/none"), "no such file or folder"),
    Case("score of a file that is no run", ("score", "{root}/afile"), "not a run folder", _file("afile", b"x")),
    Case("score --aup-grid 0", ("score", "{root}/runs", "--aup-grid", "0"), "--aup-grid", _plain_run),
    Case("score --aup-grid huge", ("score", "{root}/runs", "--aup-grid", "1000000000"), "--aup-grid 1000000000",
         _plain_run),
    Case("score --width 0", ("score", "{root}/runs", "--width", "0"), "--width", _plain_run),
    Case("import of a missing path", ("import", "{root}/none", "--out", "{out}"), "no .traj file"),
    Case("import of an empty .traj", ("import", "{root}/x.traj", "--out", "{out}"), "not valid JSON",
         _file("x.traj", b"")),
    Case("import of a binary .traj", ("import", "{root}/x.traj", "--out", "{out}"), "not UTF-8",
         _file("x.traj", BINARY)),
    Case("import of a JSON list", ("import", "{root}/x.traj", "--out", "{out}"), "got list",
         _file("x.traj", b"[1, 2]")),
    Case("replay of a missing path", ("replay", "{root}/none"), "no such file or folder"),
    Case("replay of an empty trajectory", ("replay", "{root}/bad"), "empty file", _run_file(b"")),
    Case("replay of a binary trajectory", ("replay", "{root}/bad"), "not a trajectory", _run_file(BINARY)),
    Case("replay --at not a step", ("replay", "{root}/runs", "--at", "soon"), "--at", argparse=True),
    Case("replay --compare a binary trajectory", ("replay", "{root}/runs/prisonersDilemma/x/20260101T000000Z-s0",
                                                  "--compare", "{root}/bad"), "not a trajectory",
         _both(_plain_run, _run_file(BINARY))),
    # the other commands
    Case("control of no run folder", ("control", "{root}/none", "pause"), "not a run folder"),
    Case("control interject without text", ("control", "{root}/runs/prisonersDilemma/x/20260101T000000Z-s0",
                                            "interject"), "needs the text", _plain_run),
    Case("memory show of a missing file", ("memory", "show", "{root}/none"), "no memory file"),
    Case("memory show of a binary file", ("memory", "show", "{root}/m.jsonl"), "not a memory file",
         _file("m.jsonl", BINARY + b"\n" + BINARY)),
    Case("fleet of a missing folder", ("fleet", "{root}/none"), "not a folder"),
    Case("fleet --poll 0", ("fleet", "{root}/runs", "--poll", "0"), "--poll 0", _plain_run),
    Case("serve --port out of range", ("serve", "--port", "99999"), "--port 99999"),
    Case("serve --host that does not resolve", ("serve", "--host", "no-such-host.invalid"), "cannot resolve"),
    # batch
    Case("batch --out a file", ("batch", "--tasks", "prisonersDilemma", "--agents", "baseline", "--out",
                                "{root}/afile"), "cannot create the folder", _file("afile", b"x")),
    Case("batch --out unwritable", ("batch", "--tasks", "prisonersDilemma", "--agents", "baseline", "--out",
                                    "/proc/mlgym-no"), "cannot create the folder"),
    Case("batch --episode-timeout 0", ("batch", "--tasks", "prisonersDilemma", "--agents", "baseline",
                                       "--episode-timeout", "0", "--out", "{out}"), "--episode-timeout 0"),
    Case("batch --cost-limit negative", ("batch", "--tasks", "prisonersDilemma", "--agents", "baseline",
                                         "--cost-limit", "-1", "--out", "{out}"), "--cost-limit -1"),
    Case("batch --wall-time nan", ("batch", "--tasks", "prisonersDilemma", "--agents", "baseline", "--wall-time",
                                   "nan", "--out", "{out}"), "--wall-time nan"),
    Case("batch negative seed", ("batch", "--tasks", "prisonersDilemma", "--agents", "baseline", "--seed", "-1",
                                 "--out", "{out}"), "--seed -1"),
    Case("batch --retries negative", ("batch", "--tasks", "prisonersDilemma", "--agents", "baseline", "--retries",
                                      "-1", "--out", "{out}"), "--retries -1"),
    Case("batch unknown task", ("batch", "--tasks", "noSuch", "--agents", "baseline", "--out", "{out}"),
         "unknown task"),
    Case("batch unknown agent", ("batch", "--tasks", "prisonersDilemma", "--agents", "nobody", "--out", "{out}"),
         "unknown agent"),
    Case("batch --max-concurrent-calls not a number", ("batch", "--tasks", "prisonersDilemma", "--agents",
                                                       "baseline", "--max-concurrent-calls", "many", "--out",
                                                       "{out}"), "--max-concurrent-calls"),
    Case("batch --memory-from missing", ("batch", "--tasks", "prisonersDilemma", "--agents", "baseline",
                                         "--memory-from", "{root}/none", "--out", "{out}"), "--memory-from"),
]


def _cli(args: list[str], cwd: Path, unset: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "MLGYM_TASKS_DIR": str(PROJECT / "tasks"),
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    for name in unset:
        env.pop(name, None)
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
    proc = _cli(args, cwd, case.unset)
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
