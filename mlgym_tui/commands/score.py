"""``mlgym-tui score``: the MLGym evaluation (Best Attempt@k, Best Submission@k, profiles, AUP) of run
folders, as tables, Markdown, CSV or JSON, with an optional terminal plot of the profiles."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlgym_tui.core.errors import UserError


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
                   help="right end of the profiles and the AUP integral, in log10-ratio units (default: the "
                   "largest log10 ratio, where every profile is complete; set it to compare across run sets)")
    p.add_argument("--plot", action="store_true", help="also draw the performance profiles (needs plotext)")
    p.add_argument("--no-baseline", action="store_true", help="leave the task baseline out of the competitors")
    p.set_defaults(func=cmd_score)


def cmd_score(args: argparse.Namespace) -> int:
    from mlgym_tui.core.scoring import RENDERERS, load_runs, scoreboard

    if args.attempts is not None and args.attempts < 1:
        raise UserError("--attempts must be at least 1")
    if args.tau_max is not None and not args.tau_max > 0:
        raise UserError("--tau-max must be a positive number")
    runs = load_runs([Path(d) for d in args.dirs])
    for problem in runs.problems:
        print(f"mlgym-tui: skipped {problem}", file=sys.stderr)
    if not runs.runs:
        waiting = f" ({len(runs.in_progress)} unfinished)" if runs.in_progress else ""
        raise UserError(f"no finished runs found under {', '.join(args.dirs)}{waiting}")
    board = scoreboard(runs, attempts=args.attempts, tau_max=args.tau_max, include_baseline=not args.no_baseline)
    sys.stdout.write(RENDERERS[args.format](board))
    if args.plot:
        plot_profiles(board)
    return 0


def plot_profiles(board) -> None:  # noqa: ANN001 - Scoreboard, imported lazily
    """Draw each measure's performance profiles in the terminal with plotext (the ``tui`` extra)."""
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
        for name, curve in table.profiles.items():
            pts = curve.points(table.tau_max)
            plt.plot([p[0] for p in pts], [p[1] for p in pts], label=name, marker="braille")
        plt.title(f"{table.title}: performance profiles (AUP = area, tau_max {table.tau_max:.3g})")
        plt.xlabel("tau (log10 performance ratio)")
        plt.ylabel("rho(tau)")
        plt.ylim(0, 1.05)
        plt.xlim(0, table.tau_max)
        print()
        plt.show()
