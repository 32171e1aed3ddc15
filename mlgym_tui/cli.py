"""The ``mlgym-tui`` command. Thin: build the parser from ``mlgym_tui.commands``, dispatch, map errors
to exit codes.

Exit codes: 0 ok, 1 the episode (or check) failed, 2 bad usage or input (with a one-line reason).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from mlgym_tui import __version__
from mlgym_tui.commands import MODULES
from mlgym_tui.core.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlgym-tui",
        description="Research environments for AI agents (MLGym-style tasks), with a terminal workbench.",
        epilog="Exit codes: 0 ok, 1 the episode or check failed, 2 bad usage or input.",
    )
    parser.add_argument("--version", action="version", version=f"mlgym-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in MODULES:
        importlib.import_module(f"mlgym_tui.commands.{name}").register(sub)
    for name in TASK_COMMANDS:
        command = sub.choices[name]
        nested = [a for a in command._actions if isinstance(a, argparse._SubParsersAction)]
        for target in nested[0].choices.values() if nested else [command]:  # `image build`: on the action
            add_tasks_dir_option(target)
    return parser


TASK_COMMANDS = ("run", "watch", "human", "tasks", "batch", "home", "image", "score")
"""Commands that look tasks up by id: each takes ``--tasks-dir``."""


def add_tasks_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tasks-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="also look for tasks in DIR, before the task path (MLGYM_TASKS_DIR): a folder of tasks "
        "(<id>/task.yaml) or an MLGym checkout (configs/tasks/*.yaml, ids mlgym:<id>); repeatable",
    )


def apply_tasks_dirs(dirs: list[str]) -> None:
    """Put ``--tasks-dir`` folders first on the task path; the environment carries it to batch workers."""
    for folder in dirs:
        if not os.path.isdir(folder):
            raise UserError(f"--tasks-dir {folder}: no such folder")
    if dirs:
        current = os.environ.get("MLGYM_TASKS_DIR", "")
        os.environ["MLGYM_TASKS_DIR"] = os.pathsep.join([*(os.path.abspath(d) for d in dirs), current])


def default_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """What plain ``mlgym-tui`` does: the home screen when the workbench is installed, else help."""
    try:
        from mlgym_tui.commands.home import cmd_home
    except ImportError:
        parser.print_help()
        return 0
    return cmd_home(args)


def _intermixed(
    command: argparse.ArgumentParser, args: argparse.Namespace, argv: list[str], unknown: list[str]
) -> tuple[argparse.Namespace, list[str]]:
    """Positionals left over after an option (``tasks check --static ID``: argparse gives optional
    positionals their empty match before the option) parsed again, options and positionals intermixed;
    the first parse stands when the command's arguments cannot be read that way."""
    try:
        rest = argv[argv.index(args.command) + 1:]
        again, left = command.parse_known_intermixed_args(rest)
    except (ValueError, TypeError):  # REMAINDER arguments (serve), nested commands (image)
        return args, unknown
    merged = argparse.Namespace(**{**vars(args), **vars(again)})
    return merged, left


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # the command's own usage names its options (`watch --agnet` is watch's mistake)
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        command = commands.choices.get(getattr(args, "command", None) or "")
        if command is not None and not any(u.startswith("-") for u in unknown):
            args, unknown = _intermixed(command, args, list(argv) if argv is not None else sys.argv[1:], unknown)
        if unknown:
            (command or parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    try:
        apply_tasks_dirs(getattr(args, "tasks_dir", None) or [])
        if not getattr(args, "func", None):
            return default_command(args, parser)
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
