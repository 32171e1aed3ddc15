"""``mlgym-tui import``: MLGym / SWE-agent ``.traj`` files into ordinary run folders."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlgym_tui.core.errors import UserError

DEFAULT_OUT = Path("runs")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "import",
        help="import MLGym / SWE-agent .traj files as run folders",
        description="Turn an MLGym or SWE-agent .traj file, or every .traj under a folder (with the "
        "results.json beside each; symlinked folders are followed), into run folders that replay, score and "
        "export read like any other. MLGym folders with only a results.json import as runs with scores and "
        "no steps. Model, task and attempt come from the MLGym folder name; unknown tasks are imported with "
        "a warning. A file imported before is not imported twice. The last line sums up what happened.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help=".traj file or folder to search")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="folder for run folders (default: ./runs)")
    p.add_argument("-q", "--quiet", action="store_true", help="no warnings")
    p.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    from mlgym_tui.core.formats.importing import ImportedSources, ImportReport, import_path

    out = Path(args.out)
    total = ImportReport()
    existing, seen = ImportedSources(out), {}
    for path in args.paths:
        total.add(import_path(Path(path), out, existing, seen))
    if not args.quiet:
        for warning in total.warnings:
            print(f"mlgym-tui: warning: {warning}", file=sys.stderr)
    for folder in total.written:
        print(f"imported: {folder}")
    for source, folder in total.already:
        print(f"already imported: {source} -> {folder}")
    for source, reason in total.skipped:
        print(f"skipped: {source}: {reason}")
    nothing = not (total.written or total.already or total.skipped)
    if nothing and len(total.failed) == 1:  # one bad file given: its reason is the one line
        raise UserError(f"{total.failed[0].path}: {total.failed[0].reason}")
    for exc in total.failed:
        print(f"mlgym-tui: error: {exc.path}: {exc.reason}", file=sys.stderr)
    print(total.summary())
    if total.failed and not (total.written or total.already):
        raise UserError(f"nothing imported ({len(total.failed)} file(s) failed)")
    return 2 if total.failed else 0
