"""``mlgym-tui control RUN COMMAND``: pause, resume, stop or message a running episode from anywhere.

The command is appended to the run folder's ``control.jsonl``; the episode applies it between steps and
records it in its trajectory (see :mod:`mlgym_tui.core.control_file`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mlgym_tui.core.control_file import COMMANDS, send_control, wait_for_ack
from mlgym_tui.core.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "control",
        help="pause, resume, stop (and submit) or message a running episode through its run folder",
        description="Send a command to a running episode (started by run, batch on either executor, or "
        "the workbench) through RUN/control.jsonl. It takes effect between steps and becomes an "
        "intervention event in the trajectory. A finished episode refuses commands (exit 2).",
    )
    p.add_argument("run", help="the episode's run folder")
    p.add_argument("command", choices=COMMANDS, help="pause | resume | stop (stop and submit) | interject")
    p.add_argument("text", nargs="?", default=None, help="interject: the message for the agent")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait up to SECONDS for the episode to apply the command (exit 1 if it did not)")
    p.set_defaults(func=cmd_control)


def cmd_control(args: argparse.Namespace) -> int:
    folder = Path(args.run)
    if args.wait < 0:
        raise UserError(f"--wait {args.wait:g}: must not be negative")
    record = send_control(folder, args.command, args.text)
    print(f"sent {args.command} ({record['id']}) to {folder}")
    if args.wait:
        event = wait_for_ack(folder, record["id"], args.wait)
        if event is None:
            print(f"not applied within {args.wait:g} s (it applies between steps)")
            return 1
        print(f"applied at step {event.get('step')}: {event.get('action')}"
              + (f" ({event['reason']})" if event.get("reason") else ""))
    return 0
