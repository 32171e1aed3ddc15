"""``mlgym-tui fleet DIR``: every episode under a folder, live, with control of each."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlgym_tui.core.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "fleet",
        help="watch every episode under a folder live (a batch, Ray workers, runs), with control of each",
        description="One table over every run folder under DIR, updated as episodes start, step, validate "
        "and end (also folders written by other processes or machines on a shared folder), with the "
        "running AUP of the finished ones. Enter watches an episode, p pauses/resumes it, s stops it and "
        "submits, i sends its agent a message, o sorts, f filters, / searches.",
    )
    p.add_argument("folder", help="the folder holding the run folders (a batch's --out)")
    p.add_argument("--poll", type=float, default=None, metavar="SECONDS",
                   help="look for changes every SECONDS instead of using inotify (for network file systems)")
    p.add_argument("--attempts", type=int, default=None, metavar="K",
                   help="count each competitor's first K attempts per task in the running AUP")
    p.set_defaults(func=cmd_fleet)


def check_fleet_args(folder: Path, poll: float | None, attempts: int | None) -> None:
    if not folder.is_dir():
        raise UserError(f"{folder}: not a folder")
    if poll is not None and not 0.05 <= poll <= 3600:
        raise UserError(f"--poll {poll:g}: give a number of seconds between 0.05 and 3600")
    if attempts is not None and attempts < 1:
        raise UserError(f"--attempts {attempts}: must be at least 1")


def cmd_fleet(args: argparse.Namespace) -> int:
    from mlgym_tui.tui.launch import require_tui, run_workbench

    require_tui()
    from mlgym_tui.tui.app import Start

    folder = Path(args.folder)
    check_fleet_args(folder, args.poll, args.attempts)
    return run_workbench(Start("fleet", path=folder, poll=args.poll, attempts=args.attempts))
