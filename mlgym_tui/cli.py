"""The ``mlgym-tui`` command. Thin: parse arguments, call the core, print, choose the exit code.

Exit codes: 0 ok, 1 the episode (or check) failed, 2 bad usage or input (with a one-line reason).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from mlgym_tui import __version__
from mlgym_tui.core.errors import UserError
from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.core.task import TaskConfig, load_task, task_ids

DEFAULT_OUT = Path("runs")


class ProgressLine:
    """Headless progress: one line per step on stderr (rewritten in place on a terminal)."""

    def __init__(self, stream=sys.stderr, max_steps: int | None = None) -> None:  # noqa: ANN001
        self.stream = stream
        self.tty = stream.isatty()
        self.max_steps = max_steps
        self.best: str = "-"

    def _print(self, text: str, final: bool = False) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K" + text[:200] + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def __call__(self, event: Event) -> None:
        d = event.data
        if event.kind is EventKind.EPISODE_STARTED:
            self.max_steps = d.get("max_steps")
            self._print(f"{d['task']} · {d['agent']}{' · ' + d['model'] if d.get('model') else ''} · "
                        f"{d['backend']} · seed {d['seed']}", final=True)
        elif event.kind is EventKind.ACTION:
            first = d["action"].strip().splitlines()[0] if d["action"].strip() else ""
            self._print(f"step {event.step}/{self.max_steps} · {first[:80]} · best {self.best}")
        elif event.kind in (EventKind.VALIDATION, EventKind.SUBMISSION):
            what = "validate" if event.kind is EventKind.VALIDATION else "submit"
            if d.get("valid"):
                self.best = f"{d['metric']} {d['score']:g}"
                self._print(f"step {event.step}/{self.max_steps} · {what}: {d['metric']} {d['score']:g} "
                            f"(baseline {d.get('baseline')})", final=True)
            else:
                self._print(f"step {event.step}/{self.max_steps} · {what}: invalid · "
                            f"{(d.get('error') or '').splitlines()[0][:120]}", final=True)
        elif event.kind is EventKind.EPISODE_ENDED:
            self._print(f"ended: {d['exit_status']} after {d['steps']} steps, {d['wall_time']:.1f} s", final=True)


def _log(message: str) -> None:
    print(f"mlgym-tui: {message}", file=sys.stderr, flush=True)


# -- commands ------------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from mlgym_tui.agents.registry import make_agent
    from mlgym_tui.core.runner import EpisodeSpec, config_summary, run_episode
    from mlgym_tui.core.runtime import RuntimeSettings
    from mlgym_tui.core.session import SessionLimits

    task = load_task(args.task)
    agent = make_agent(args.agent)
    settings = RuntimeSettings()
    spec = EpisodeSpec(task=task, agent=agent, out=Path(args.out), backend=args.backend, seed=args.seed,
                       settings=settings, limits=SessionLimits(max_steps=args.max_steps),
                       config=config_summary(agent=args.agent, backend=args.backend, max_steps=args.max_steps))
    subscribers = [] if args.quiet else [ProgressLine()]
    folder, result = run_episode(spec, subscribers=subscribers, log=None if args.quiet else _log)
    score = result.final_score
    print(f"run folder: {folder}")
    if score is None:
        print(f"{task.primary.name}: invalid ({result.exit_status})")
        return 1
    print(f"{task.primary.name}: {score:g} (baseline {task.baseline_score}, {task.primary.direction} is better)")
    return 0 if result.exit_status != "exit_error" else 1


def _task_row(task: TaskConfig) -> list[str]:
    base = task.baseline_score
    return [task.id, task.domain, task.primary.name, task.primary.direction,
            "-" if base is None else f"{base:g}", "stand-in" if task.stand_in else ""]


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cmd_tasks(args: argparse.Namespace) -> int:
    action = args.action or "list"
    if action == "list":
        tasks = [load_task(t) for t in task_ids()]
        if args.json:
            print(json.dumps([{"id": t.id, "name": t.name, "domain": t.domain, "metric": t.primary.name,
                               "direction": t.primary.direction, "baseline": t.baseline_score,
                               "stand_in": t.stand_in} for t in tasks], indent=2))
        else:
            print(_table([_task_row(t) for t in tasks], ["id", "domain", "metric", "direction", "baseline", "data"]))
        return 0
    if action == "show":
        if not args.id:
            raise UserError("tasks show needs a task id")
        task = load_task(args.id)
        print(f"{task.name} ({task.id}) — {task.domain}")
        print(f"metric: {task.primary.name} ({task.primary.direction}), baseline {task.baseline.scores}")
        print(f"folder: {task.dir}")
        print(f"requirements: {', '.join(task.requirements) or '(none)'}")
        print(f"limits: {task.limits.max_steps} steps, {task.limits.wall_time:g} s")
        if task.stand_in:
            print("data: STAND-IN (scores are not comparable with published MLGym-Bench numbers)")
        print()
        print(task.render_description())
        return 0
    if action == "check":
        return _tasks_check(args)
    raise UserError(f"unknown tasks action {action!r}: use list, show or check")


def _tasks_check(args: argparse.Namespace) -> int:
    from mlgym_tui.agents.baseline import BaselineAgent
    from mlgym_tui.core.runner import EpisodeSpec, run_episode

    ids = [args.id] if args.id else task_ids()
    tasks = [load_task(t) for t in ids]  # config errors surface before anything runs
    if args.static:
        for task in tasks:
            task.render_description()
            print(f"{task.id}: config ok")
        return 0
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="mlgym-check-"))
    failed = 0
    rows = []
    for task in tasks:
        folder, result = run_episode(EpisodeSpec(task=task, agent=BaselineAgent(), out=out, backend=args.backend),
                                     log=_log)
        expected = task.baseline_score
        score = result.final_score
        if score is None:
            verdict = "FAIL: invalid submission"
            sub = result.submission
            if sub and sub.error:
                verdict += f" ({sub.error.splitlines()[0][:80]})"
        elif expected is None:
            verdict = "no recorded baseline"
        elif abs(score - expected) <= task.baseline.tolerance:
            verdict = "ok"
        else:
            verdict = f"FAIL: drift {score - expected:+.6g} > tolerance {task.baseline.tolerance:g}"
        failed += verdict.startswith("FAIL")
        rows.append([task.id, task.primary.name, "-" if score is None else f"{score:.6g}",
                     "-" if expected is None else f"{expected:.6g}", f"{result.wall_time:.1f}s", verdict])
    print(_table(rows, ["task", "metric", "measured", "recorded", "time", "verdict"]))
    print(f"run folders under {out}")
    return 1 if failed else 0


# -- parser ----------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlgym-tui",
        description="Research environments for AI agents (MLGym-style tasks), with a terminal workbench.",
        epilog="Exit codes: 0 ok, 1 the episode or check failed, 2 bad usage or input.",
    )
    parser.add_argument("--version", action="version", version=f"mlgym-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run one episode headless and write a run folder",
                         description="Run one episode without the TUI. Prints progress on stderr, then the run "
                                     "folder and the primary score.")
    run.add_argument("task", help="task id (see `mlgym-tui tasks list`)")
    run.add_argument("--agent", default="baseline", help="agent name or module:Class (default: baseline)")
    run.add_argument("--backend", choices=["local", "docker"], default="local",
                     help="sandbox: local (a bash in a temp folder) or docker (a container); default local")
    run.add_argument("--out", default=str(DEFAULT_OUT), help="folder for run folders (default: ./runs)")
    run.add_argument("--seed", type=int, default=0, help="episode seed (default 0)")
    run.add_argument("--max-steps", type=int, default=None, help="override the task's step limit")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    run.set_defaults(func=cmd_run)

    tasks = sub.add_parser("tasks", help="list, show or check tasks",
                           description="list: every task with its metric and baseline. show ID: the task text "
                                       "and settings. check [ID]: run the baseline and compare its score with "
                                       "the recorded one (fails beyond the task's tolerance).")
    tasks.add_argument("action", nargs="?", choices=["list", "show", "check"], help="default: list")
    tasks.add_argument("id", nargs="?", help="task id (show, check)")
    tasks.add_argument("--json", action="store_true", help="list as JSON")
    tasks.add_argument("--static", action="store_true", help="check: validate configs only, run nothing")
    tasks.add_argument("--backend", choices=["local", "docker"], default="local", help="check: sandbox backend")
    tasks.add_argument("--out", default=None, help="check: where to keep the run folders (default: a temp folder)")
    tasks.set_defaults(func=cmd_tasks)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"mlgym-tui: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("mlgym-tui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
