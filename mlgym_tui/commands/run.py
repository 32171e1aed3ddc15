"""``mlgym-tui run``: one episode, headless."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlgym_tui.commands.progress import ProgressLine, log
from mlgym_tui.core.task import load_task

DEFAULT_OUT = Path("runs")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    run = sub.add_parser(
        "run",
        help="run one episode headless and write a run folder",
        description="Run one episode without the TUI. Prints progress on stderr, then the run "
        "folder and the primary score.",
    )
    run.add_argument("task", help="task id (see `mlgym-tui tasks list`)")
    run.add_argument("--agent", default="baseline", help="agent name or module:Class (default: baseline)")
    run.add_argument(
        "--backend",
        choices=["local", "docker"],
        default="local",
        help="sandbox: local (a bash in a temp folder) or docker (a container); default local",
    )
    run.add_argument("--out", default=str(DEFAULT_OUT), help="folder for run folders (default: ./runs)")
    run.add_argument("--seed", type=int, default=0, help="episode seed (default 0)")
    run.add_argument("--max-steps", type=int, default=None, help="override the task's step limit")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    run.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from mlgym_tui.agents.registry import make_agent
    from mlgym_tui.core.runner import EpisodeSpec, config_summary, run_episode
    from mlgym_tui.core.runtime import RuntimeSettings
    from mlgym_tui.core.session import SessionLimits

    task = load_task(args.task)
    agent = make_agent(args.agent)
    settings = RuntimeSettings()
    spec = EpisodeSpec(
        task=task,
        agent=agent,
        out=Path(args.out),
        backend=args.backend,
        seed=args.seed,
        settings=settings,
        limits=SessionLimits(max_steps=args.max_steps),
        config=config_summary(agent=args.agent, backend=args.backend, max_steps=args.max_steps),
    )
    subscribers = [] if args.quiet else [ProgressLine()]
    folder, result = run_episode(spec, subscribers=subscribers, log=None if args.quiet else log)
    score = result.final_score
    print(f"run folder: {folder}")
    if score is None:
        print(f"{task.primary.name}: invalid ({result.exit_status})")
        return 1
    print(
        f"{task.primary.name}: {score:g} (baseline {task.baseline_score}, {task.primary.direction} is better)"
    )
    return 0 if result.exit_status != "exit_error" else 1
