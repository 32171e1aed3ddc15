"""A :class:`~.board.Scoreboard` as plain text, Markdown, CSV or JSON (no UI libraries)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence

from mlgym_tui.core.scoring.board import BASELINE, MEASURES, Scoreboard

STAND_IN_MARK = "*"
STAND_IN_NOTE = (
    f"{STAND_IN_MARK} stand-in data: the task ran on an offline stand-in data set; its scores are not "
    "comparable with published MLGym-Bench numbers"
)


def fmt(value: float | None, digits: int = 4) -> str:
    """A number for a table: 4 significant digits, '-' for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}g}"


def _task_name(board: Scoreboard, task: str) -> str:
    row = next((t for t in board.tasks if t.task == task), None)
    return task + (STAND_IN_MARK if row is not None and row.stand_in else "")


def _score_tables(board: Scoreboard) -> list[tuple[str, list[str], list[list[str]]]]:
    tables = []
    k = "all" if board.attempts is None else str(board.attempts)
    for key, title in MEASURES.items():
        header = ["task", "metric", "better", *board.competitors]
        rows = []
        table = board.measures[key]
        for t in board.tasks:
            cells = [_task_name(board, t.task), t.metric, "higher" if t.direction == "max" else "lower"]
            for c in board.competitors:
                score = t.best(key).get(c)
                ratio = table.ratios.get(t.task, {}).get(c)
                text = fmt(score)
                if c != BASELINE and t.runs.get(c, 0) == 0:
                    text = "(no run)"
                elif ratio is not None and ratio.reason and score is not None:
                    text += f" ({ratio.reason})"
                elif score is None:
                    text = "(failed)"
                cells.append(text)
            rows.append(cells)
        tables.append((f"{title.replace('@k', '@' + k)} per task", header, rows))
    return tables


def _aup_table(board: Scoreboard) -> tuple[str, list[str], list[list[str]]]:
    header = ["competitor"]
    for key, table in board.measures.items():
        how = "auto" if table.tau_max_auto else "set"
        header.append(f"AUP {MEASURES[key]} (tau_max {table.tau_max:.4g}, {how})")
    rows = [[c] + [fmt(t.aup.get(c)) for t in board.measures.values()] for c in board.competitors]
    rows.sort(key=lambda r: -(board.measures["best_attempt"].aup.get(r[0]) or 0.0))
    return "Area under the performance profile (higher is better)", header, rows


def _exit_table(board: Scoreboard) -> tuple[str, list[str], list[list[str]]]:
    groups = board.exits.used_groups()
    header = ["competitor", *groups, "runs"]
    rows = []
    for c, counts in board.exits.counts.items():
        rows.append([c, *[str(counts.get(g, 0)) for g in groups], str(sum(counts.values()))])
    return "How runs ended", header, rows


def _cost_table(board: Scoreboard) -> tuple[str, list[str], list[list[str]]]:
    header = ["competitor", "runs", "cost $", "$ per task", "tokens in", "tokens out",
              *[f"AUP/$ {MEASURES[k]}" for k in MEASURES]]
    rows = [
        [c.competitor, str(c.runs), f"{c.cost:.4f}", f"{c.cost_per_task:.4f}", str(c.tokens_in), str(c.tokens_out),
         *[fmt(c.aup_per_dollar.get(k)) if c.aup_per_dollar.get(k) is not None else "(free)" for k in MEASURES]]
        for c in board.costs
    ]
    return "Cost (AUP per dollar spent per task)", header, rows


def _tables(board: Scoreboard) -> list[tuple[str, list[str], list[list[str]]]]:
    return [*_score_tables(board), _aup_table(board), _exit_table(board), _cost_table(board)]


def plain_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded with spaces, a dashed rule under the header."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def cell(text: str) -> str:
        return str(text).replace("|", "\\|")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _footer(board: Scoreboard) -> list[str]:
    lines = []
    if board.stand_in_tasks:
        lines.append(STAND_IN_NOTE)
    lines.append(
        "Ratios: best/score (higher is better) or score/best (lower is better); missing, failed, non-positive "
        "or worse-than-baseline scores count at the task's worst feasible ratio x 1.05."
    )
    for key, table in board.measures.items():
        if table.left_out:
            lines.append(f"{MEASURES[key]}: left out of the profiles (no feasible score): {', '.join(table.left_out)}")
    lines += [f"note: {n}" for n in board.notes]
    if board.in_progress:
        lines.append(f"{len(board.in_progress)} run(s) in progress or unfinished, not scored")
    lines += [f"skipped: {p}" for p in board.problems]
    return lines


def _summary(board: Scoreboard) -> str:
    k = "all attempts" if board.attempts is None else f"first {board.attempts} attempt(s)"
    return f"{board.runs} run(s), {len(board.tasks)} task(s), {len(board.competitors)} competitor(s); {k}"


def render_text(board: Scoreboard) -> str:
    """Plain-text report: the per-task tables, AUP, exit statuses, cost, then notes."""
    parts = [_summary(board)]
    for title, header, rows in _tables(board):
        parts.append(f"{title}\n{plain_table(header, rows)}")
    parts.append("\n".join(_footer(board)))
    return "\n\n".join(p for p in parts if p) + "\n"


def render_markdown(board: Scoreboard) -> str:
    parts = ["# Scores", _summary(board)]
    for title, header, rows in _tables(board):
        parts.append(f"## {title}\n\n{markdown_table(header, rows)}")
    footer = _footer(board)
    if footer:
        parts.append("\n".join(f"- {line}" for line in footer))
    return "\n\n".join(parts) + "\n"


def render_csv(board: Scoreboard) -> str:
    """Long format, one value per row: ``table,task,competitor,measure,value,note``."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["table", "task", "competitor", "measure", "value", "note"])
    for t in board.tasks:
        for key in MEASURES:
            ratios = board.measures[key].ratios.get(t.task, {})
            for c in board.competitors:
                r = ratios.get(c)
                w.writerow(["score", t.task, c, key, _raw(t.best(key).get(c)),
                            "stand-in" if t.stand_in else ""])
                if r is not None:
                    w.writerow(["ratio", t.task, c, key, _raw(r.value), r.reason or ""])
    for key, table in board.measures.items():
        for c in board.competitors:
            w.writerow(["aup", "", c, key, _raw(table.aup.get(c)), f"tau_max={table.tau_max:.6g}"])
    for c, counts in board.exits.counts.items():
        for g in board.exits.used_groups():
            w.writerow(["exit", "", c, g, counts.get(g, 0), ""])
    for row in board.costs:
        w.writerow(["cost", "", row.competitor, "cost", _raw(row.cost), f"runs={row.runs}"])
        w.writerow(["cost", "", row.competitor, "cost_per_task", _raw(row.cost_per_task), ""])
        for key, v in row.aup_per_dollar.items():
            w.writerow(["aup_per_dollar", "", row.competitor, key, _raw(v), ""])
    return out.getvalue()


def _raw(value: float | int | None) -> str:
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


def render_json(board: Scoreboard) -> str:
    return json.dumps(board.to_dict(), indent=2) + "\n"


RENDERERS = {"table": render_text, "md": render_markdown, "csv": render_csv, "json": render_json}
