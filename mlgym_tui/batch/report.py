"""The text printed when a batch ends: counts, what did not finish, and the scoring tables."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from mlgym_tui.batch.runner import BatchSummary


def scoring_text(out: Path, attempts: int | None = None) -> str | None:
    """The AUP report of ``mlgym-tui score OUT`` (None when scoring is not available or found no runs)."""
    try:
        from mlgym_tui.core.scoring import load_runs, render_text, scoreboard
    except ImportError:
        return None
    runs = load_runs([out])
    if not runs.runs:
        return None
    return render_text(scoreboard(runs, attempts=attempts))


def print_report(summary: BatchSummary, out: Path, stream: IO[str], attempts: int | None = None) -> None:
    d = summary.data
    lines = [
        f"batch {d['batch']}: {d['cells']} cells · {d['skipped']} already finished · {d['ran']} ran · "
        f"{d['finished']} finished now · {len(d['incomplete'])} without a finished run",
        f"wall time {d['wall_time']:.1f} s · {d['episodes_per_minute']:g} episodes/min · cost ${d['cost']:.2f}"
        + (f" · overhead {d['overhead_per_episode'] * 1000:.0f} ms/episode" if d["overhead_per_episode"] else ""),
    ]
    if d["stopped"]:
        lines.append(f"stopped early: {d['stopped']}")
    if d["interrupted"]:
        lines.append("interrupted: run the same command again to resume")
    for e in d["episodes"]:
        if e["state"] != "finished":
            lines.append(f"  {e['state']}: {e['cell']} — {e['message']}")
    if d["incomplete"]:
        lines.append(f"re-run the same command to resume the {len(d['incomplete'])} incomplete cell(s)")
    lines.append(f"runs: {out}")
    stream.write("\n".join(lines) + "\n")
    board = scoring_text(out, attempts)
    if board:
        stream.write("\n" + board)
