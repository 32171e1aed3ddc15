"""``mlgym-tui`` (and ``mlgym-tui home``): the workbench's home screen — tasks, agents, recent runs."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "home",
        help="open the workbench on its home screen (what plain `mlgym-tui` does)",
        description="Tasks, agents and recent runs; start watching an agent, attempt a task yourself, "
        "or replay a run from here.",
    )
    p.set_defaults(func=cmd_home)


def cmd_home(args: argparse.Namespace) -> int:
    from mlgym_tui.tui.launch import require_tui, run_workbench

    require_tui()
    from mlgym_tui.tui.app import Start

    return run_workbench(Start("home"))
