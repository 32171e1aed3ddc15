"""``mlgym-tui replay``: a recorded run in the workbench, with a timeline; follows runs still being written."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlgym_tui.core.errors import UserError
from mlgym_tui.tui.launch import require_tui, run_workbench


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "replay",
        help="replay a run folder or trajectory file in the workbench",
        description="Show a recorded episode step by step: space plays, arrows step, v / x jump to the next "
        "validation / error, / searches. A run that is still being written is followed live.",
    )
    p.add_argument("path", help="a run folder or its trajectory.jsonl")
    p.add_argument("--no-follow", action="store_true", help="do not wait for a run that is still being written")
    p.set_defaults(func=cmd_replay)


def cmd_replay(args: argparse.Namespace) -> int:
    require_tui()
    from mlgym_tui.tui.app import Start
    from mlgym_tui.tui.replay_source import trajectory_path

    path = Path(args.path)
    try:
        trajectory_path(path)
    except Exception as exc:  # noqa: BLE001 - TrajectoryError: a one-line message is the whole story
        raise UserError(str(exc)) from exc
    return run_workbench(Start("replay", path=path, follow=not args.no_follow))
