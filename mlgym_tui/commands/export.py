"""``mlgym-tui export``: a run as a graded JSON document, MLGym .traj, Markdown, HTML or asciicast."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from mlgym_tui.core.errors import UserError
from mlgym_tui.core.formats import EXPORTERS


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "export",
        help="export a run as json, traj, md, html or cast",
        description="Export one run (a run folder, its trajectory.jsonl, or an MLGym/SWE-agent .traj) as: "
        "json (our self-contained graded document), traj (MLGym/SWE-agent-compatible), md or html (a "
        "readable graded report; the HTML is one offline file), cast (asciicast v2 of the shell, for "
        "`asciinema play`). API keys, secret environment values and host details are scrubbed.",
    )
    p.add_argument("path", metavar="PATH", help="run folder, trajectory.jsonl or .traj file")
    p.add_argument("--format", "-f", required=True, choices=list(EXPORTERS), help="export format")
    p.add_argument("-o", "--output", metavar="FILE", default=None, help="write here (default: stdout)")
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from mlgym_tui.core.formats import export_run, load_run

    run = load_run(Path(args.path))
    for problem in run.problems:
        print(f"mlgym-tui: warning: {problem}", file=sys.stderr)
    text = export_run(run, args.format)
    if args.output in (None, "-"):
        sys.stdout.write(text)
        return 0
    target = Path(args.output)
    if target.is_dir():
        raise UserError(f"-o {target}: is a folder; give a file name")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"-o {target}: cannot create its folder ({exc.strerror or exc})") from exc
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    print(f"wrote {target}", file=sys.stderr)
    return 0
