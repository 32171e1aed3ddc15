"""``mlgym-tui run``: one episode, headless."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlgym_tui.commands.episode_options import add_episode_options, episode_options
from mlgym_tui.commands.progress import ProgressLine, log
from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.core.task_sources import load_task

DEFAULT_OUT = Path("runs")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    run = sub.add_parser(
        "run",
        help="run one episode headless and write a run folder",
        description="Run one episode without the TUI. Prints progress on stderr, then the run "
        "folder and the primary score.",
    )
    run.add_argument("task", help="task id (see `mlgym-tui tasks list`)")
    add_episode_options(run, out=str(DEFAULT_OUT))
    run.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    run.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from mlgym_tui.agents.episode import build_episode
    from mlgym_tui.core.runner import run_episode

    task = load_task(args.task)  # an unknown task is the first thing to hear about
    spec = build_episode(episode_options(args), task=task)
    ending = EndingReason()
    subscribers = [ending] if args.quiet else [ProgressLine()]
    folder, result = run_episode(spec, subscribers=subscribers, log=None if args.quiet else log)
    score = result.final_score
    if args.quiet and ending.reason and result.exit_status != "submitted":  # never only in the trajectory
        print(f"mlgym-tui: {result.exit_status}: {ending.reason[:300]}", file=sys.stderr)
    print(f"run folder: {folder}")
    if score is None:
        print(f"{task.primary.name}: invalid ({result.exit_status})")
        return 1
    baseline = "MLGym's recorded baseline" if task.source == "mlgym" else "baseline"
    print(
        f"{task.primary.name}: {score:g} ({baseline} {task.baseline_score}, {task.primary.direction} is better)"
    )
    return 0 if result.exit_status != "exit_error" else 1


class EndingReason:
    """Keeps why the episode ended (the first line of its end message), for ``run -q``, which prints no
    progress: an episode that did not end by its own submission says why on stderr."""

    def __init__(self) -> None:
        self.reason = ""

    def __call__(self, event: Event) -> None:
        if event.kind is EventKind.EPISODE_ENDED:
            self.reason = (str(event.data.get("message") or "").strip().splitlines() or [""])[0]
