"""``mlgym-tui replay``: a recorded run in the workbench, with a timeline; follows runs still being written."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlgym_tui.core.errors import UserError
from mlgym_tui.core.trajectory import TRAJECTORY_FILE
from mlgym_tui.tui.launch import require_tui, run_workbench


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "replay",
        help="replay a run folder or trajectory file in the workbench",
        description="Show a recorded episode step by step: space plays, arrows step, v / x jump to the next "
        "validation / error, / searches. A run that is still being written is followed live. With --compare, two "
        "runs of one task side by side.",
    )
    p.add_argument("path", help="a run folder, its trajectory.jsonl, an MLGym/SWE-agent .traj file or an MLGym "
                   "run folder (imported on the fly into the cache, not into your runs)")
    p.add_argument("--no-follow", action="store_true", help="do not wait for a run that is still being written")
    p.add_argument("--at", metavar="WHERE", type=replay_position, default=None,
                   help="the step shown first: start, end or a step number (default: the start of a finished "
                   "run, the newest step of one still being written)")
    p.add_argument("--compare", metavar="PATH", default=None,
                   help="a second run of the same task (same kinds of input), shown side by side: both score "
                   "curves on one plot, arrows move both, a aligns by step or by validation")
    p.set_defaults(func=cmd_replay)


def replay_position(text: str) -> str | int:
    """``--at``: ``start``, ``end`` or a step number (argparse prints the one-line error)."""
    if text in ("start", "end"):
        return text
    try:
        step = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected start, end or a step number") from None
    if step < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a step number is 0 or more")
    return step


EVENTS_CHECKED = 64
"""Lines after the header read before the workbench opens (the screen reads the rest lazily)."""


def check_first_events(path: Path) -> None:
    """A trajectory whose first complete lines after the header are none of them events is corrupt: one
    line and exit 2, instead of an empty screen. A header alone (a run just started) and a partial last
    line (one being written) are fine."""
    import json

    file = path / TRAJECTORY_FILE if path.is_dir() else path
    bad: str | None = None
    with file.open("rb") as f:
        f.readline()
        for number in range(2, EVENTS_CHECKED + 2):
            line = f.readline(1 << 20)
            if not line or not line.endswith(b"\n"):
                break
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if isinstance(record, dict) and isinstance(record.get("kind"), str):
                return  # an event: the screen skips (and reports) whatever else is wrong
            bad = bad or f"line {number} is not an event"
    if bad is not None:
        raise UserError(f"{file}: {bad}; the trajectory is corrupt (nothing to replay)")


def cmd_replay(args: argparse.Namespace) -> int:
    require_tui()
    from mlgym_tui.core.formats.replayable import replayable
    from mlgym_tui.tui.app import Start

    path = replayable(Path(args.path))  # FormatError (a UserError): one line, exit 2
    check_first_events(path)
    other = None
    if args.compare is not None:
        from mlgym_tui.tui.replay_source import RecordedRun
        from mlgym_tui.tui.screens.compare import check_same_task

        other = replayable(Path(args.compare))
        check_first_events(other)
        check_same_task(RecordedRun(path), RecordedRun(other))
    return run_workbench(Start("replay", path=path, follow=not args.no_follow, compare=other, at=args.at))
