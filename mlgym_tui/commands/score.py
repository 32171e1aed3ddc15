"""``mlgym-tui score``: the MLGym evaluation (Best Attempt@k, Best Submission@k, profiles, AUP) of run
folders, as tables, Markdown, CSV or JSON, with an optional terminal plot of the profiles."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from mlgym_tui.core.errors import UserError

MAX_AUP_GRID = 100_000
"""More grid points than any comparison needs; a typo of 1e9 would run for hours."""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "score",
        help="score run folders: Best Attempt/Submission@k, performance profiles, AUP",
        description="Score every run under DIR (our run folders, imported ones, and raw MLGym result "
        "folders) as the MLGym paper does: best scores per task and agent, performance ratios against the "
        "best competitor (the task baseline competes too), performance profiles and their area (AUP), how "
        "runs ended, and cost. Broken or unfinished run folders are reported on stderr and skipped.",
    )
    p.add_argument("dirs", nargs="+", metavar="DIR", help="folders (searched recursively) or run files")
    p.add_argument("--attempts", "-k", type=int, default=None, metavar="K",
                   help="count only each agent's first K runs per task (default: all)")
    p.add_argument("--format", choices=["table", "json", "csv", "md"], default="table",
                   help="output format (default: table)")
    p.add_argument("--tau-max", type=float, default=None, metavar="X",
                   help="right end of the profiles and the AUP integral, in log10-ratio units (default: chosen "
                   "as MLGym does, log10 of the largest whole-number infeasible ratio rounded up to 0.1; set it "
                   "to compare across run sets)")
    p.add_argument("--aup-grid", type=int, default=None, metavar="N",
                   help="evaluate the AUP on N evenly spaced tau values as MLGym's scripts do (500 reproduces "
                   "its published tables); default: the exact area")
    p.add_argument("--tasks", action="append", metavar="GLOBS",
                   help="score only these task ids (comma-separated shell globs; repeatable)")
    p.add_argument("--exclude-tasks", action="append", metavar="GLOBS", help="leave these task ids out")
    p.add_argument("--competitors", action="append", metavar="GLOBS",
                   help="score only these competitors ('agent' or 'agent/model'; comma-separated globs)")
    p.add_argument("--exclude", action="append", metavar="GLOBS",
                   help="leave these competitors out (e.g. --exclude '*gemini-20-pro')")
    p.add_argument("--width", type=int, default=None, metavar="COLS",
                   help="fit the table report into COLS columns (default: the terminal's, 120 when piped)")
    p.add_argument("--plot", action="store_true", help="also draw the performance profiles (needs plotext)")
    p.add_argument("--no-baseline", action="store_true", help="leave the task baseline out of the competitors")
    p.set_defaults(func=cmd_score)


def cmd_score(args: argparse.Namespace) -> int:
    from mlgym_tui.core.scoring import RENDERERS, load_runs, scoreboard, select_runs, split_patterns
    from mlgym_tui.core.scoring.render import REPORT_WIDTH, render_text

    if args.attempts is not None and args.attempts < 1:
        raise UserError("--attempts must be at least 1")
    if args.tau_max is not None and not 0 < args.tau_max < float("inf"):
        raise UserError("--tau-max must be a positive number")
    if args.aup_grid is not None and args.aup_grid < 2:
        raise UserError("--aup-grid must be at least 2")
    if args.aup_grid is not None and args.aup_grid > MAX_AUP_GRID:
        raise UserError(f"--aup-grid {args.aup_grid}: at most {MAX_AUP_GRID:,} points (the exact area needs none)")
    if args.width is not None and args.width < 40:
        raise UserError("--width must be at least 40")
    for folder in args.dirs:
        if not Path(folder).exists():
            raise UserError(f"{folder}: no such file or folder")
    found = load_runs([Path(d) for d in args.dirs])
    if not found.runs and not found.in_progress and len(found.problems) == 1:  # its reason is the one line
        raise UserError(str(found.problems[0]))
    for problem in found.problems:
        print(f"mlgym-tui: skipped {problem}", file=sys.stderr)
    for duplicate, first in found.duplicates:
        print(f"mlgym-tui: warning: {duplicate} is the same source run as {first}; counted once", file=sys.stderr)
    if not found.runs:
        waiting = f" ({len(found.in_progress)} unfinished)" if found.in_progress else ""
        raise UserError(f"no finished runs found under {', '.join(args.dirs)}{waiting}")
    runs = select_runs(found, split_patterns(args.tasks), split_patterns(args.exclude_tasks),
                       split_patterns(args.competitors), split_patterns(args.exclude))
    if not runs.runs:
        raise UserError(f"the filters left none of the {len(found.runs)} finished runs")
    board = scoreboard(runs, attempts=args.attempts, tau_max=args.tau_max, include_baseline=not args.no_baseline,
                       aup_grid=args.aup_grid)
    if args.format == "table":
        width = args.width or (shutil.get_terminal_size((REPORT_WIDTH, 24)).columns if sys.stdout.isatty()
                               else REPORT_WIDTH)
        sys.stdout.write(render_text(board, width))
    else:
        sys.stdout.write(RENDERERS[args.format](board))
    if args.plot:
        plot_profiles(board)
    return 0


MARKERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
"""Each competitor's curve is drawn with its own letter, explained in a legend printed under the plot."""


def plot_profiles(board) -> None:  # noqa: ANN001 - Scoreboard, imported lazily
    """Draw each measure's performance profiles in the terminal with plotext (the ``tui`` extra).

    plotext's own legend is drawn inside the plot area, over the curves; instead every curve is drawn
    with a letter and the legend (letter = competitor, with its AUP) is printed under the plot.
    """
    try:
        import plotext as plt
    except ImportError as exc:
        raise UserError(
            "--plot needs plotext, which comes with the workbench: pip install 'mlgym-tui[tui]'"
        ) from exc
    for table in board.measures.values():
        plt.clear_figure()
        if not sys.stdout.isatty():
            plt.theme("clear")  # no colour codes in files and pipes
        plt.plotsize(min(100, plt.terminal_width() or 100), 20)
        legend = []
        for i, (name, curve) in enumerate(table.profiles.items()):
            mark = MARKERS[i % len(MARKERS)]
            pts = curve.points(table.tau_max)
            plt.plot([p[0] for p in pts], [p[1] for p in pts], marker=mark)
            legend.append(f"{mark} {name} (AUP {table.aup.get(name, 0.0):.4g})")
        plt.title(f"{table.title}: performance profiles (AUP = area, tau_max {table.tau_max:.3g})")
        plt.xlabel("tau (log10 performance ratio)")
        plt.ylabel("rho(tau)")
        plt.ylim(0, 1.05)
        plt.xlim(0, table.tau_max)
        print()
        plt.show()
        print("legend: " + "; ".join(legend))
