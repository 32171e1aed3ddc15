"""``mlgym-tui tasks``: list, show and check tasks."""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import replace

from mlgym_tui.commands.episode_options import add_episode_options, episode_options
from mlgym_tui.commands.progress import log
from mlgym_tui.core.errors import UserError
from mlgym_tui.core.task import TaskConfig
from mlgym_tui.core.task_sources import load_listed, load_task, task_ids


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    tasks = sub.add_parser(
        "tasks",
        help="list, show or check tasks",
        description="list: every task with its metric and baseline. show ID: the task text "
        "and settings. check [ID]: run the baseline and compare its score with "
        "the recorded one (fails beyond the task's tolerance); the episode options below are run's "
        "and apply to check.",
    )
    tasks.add_argument("action", nargs="?", choices=["list", "show", "check"], help="default: list")
    tasks.add_argument("id", nargs="?", help="task id (show, check)")
    tasks.add_argument("--json", action="store_true", help="list as JSON")
    tasks.add_argument("--static", action="store_true", help="check: validate configs only, run nothing")
    add_episode_options(tasks, agent=False, out=None)  # check: the baseline's episodes
    tasks.set_defaults(func=cmd_tasks)


def _task_row(task: TaskConfig) -> list[str]:
    base = task.baseline_score
    return [
        task.id,
        task.source,
        task.domain,
        task.primary.name,
        task.primary.direction,
        "-" if base is None else f"{base:g}",
        "stand-in" if task.stand_in else "",
    ]


def task_listing(task: TaskConfig) -> dict[str, object]:
    """One task in ``tasks list --json``; the shape is documented in docs/mlgym-tasks.md and stable: keys are
    only ever added."""
    return {
        "id": task.id,
        "source": task.source,
        "metric": task.primary.name,
        "direction": task.primary.direction,
        "baseline": task.baseline_score,
        "baseline_scores": dict(task.baseline.scores),
        "name": task.name,
        "domain": task.domain,
        "stand_in": task.stand_in,
        "path": str(task.origin),
    }


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cmd_tasks(args: argparse.Namespace) -> int:
    action = args.action or "list"
    if action == "list":
        tasks = load_listed()
        if args.json:
            print(json.dumps([task_listing(t) for t in tasks], indent=2))
        else:
            print(
                _table(
                    [_task_row(t) for t in tasks],
                    ["id", "source", "domain", "metric", "direction", "baseline", "data"],
                )
            )
        return 0
    if action == "show":
        if not args.id:
            raise UserError("tasks show needs a task id")
        task = load_task(args.id)
        print(f"{task.name} ({task.id}) — {task.domain}")
        print(f"metric: {task.primary.name} ({task.primary.direction}), baseline {task.baseline.scores}")
        if task.source == "mlgym":
            print(f"source: MLGym ({task.origin}); baseline: MLGym's recorded baseline_scores")
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


def check_options(args: argparse.Namespace):  # noqa: ANN201 - EpisodeOptions, imported lazily
    """The baseline episode ``tasks check`` runs for each task, from the shared episode options (the run
    folders go to a temporary folder unless ``--out`` says where)."""
    if args.out is None:
        args.out = tempfile.mkdtemp(prefix="mlgym-check-")
    return episode_options(args, task=args.id or "", agent="baseline")


def _tasks_check(args: argparse.Namespace) -> int:
    from mlgym_tui.agents.baseline import BaselineAgent
    from mlgym_tui.agents.episode import build_episode
    from mlgym_tui.core.runner import run_episode

    ids = [args.id] if args.id else task_ids()
    tasks = [load_task(t) for t in ids]  # config errors surface before anything runs
    if args.static:
        for task in tasks:
            task.render_description()
            print(f"{task.id}: config ok")
        return 0
    options = check_options(args)
    failed = 0
    rows = []
    for task in tasks:
        folder, result = run_episode(
            build_episode(replace(options, task=task.id), task=task, agent=BaselineAgent(), via="tasks check"),
            log=log,
        )
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
        rows.append(
            [
                task.id,
                task.primary.name,
                "-" if score is None else f"{score:.6g}",
                "-" if expected is None else f"{expected:.6g}",
                f"{result.wall_time:.1f}s",
                verdict,
            ]
        )
    print(_table(rows, ["task", "metric", "measured", "recorded", "time", "verdict"]))
    print(f"run folders under {options.out}")
    return 1 if failed else 0
