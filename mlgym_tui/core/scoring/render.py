"""A :class:`~.board.Scoreboard` as plain text, Markdown, CSV or JSON (no UI libraries)."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import textwrap
from collections.abc import Sequence

from mlgym_tui.core.scoring.board import BASELINE, MEASURES, Scoreboard, TaskRow

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


REPORT_WIDTH = 120
"""Text reports fit this many columns (wider tables are split into blocks of competitors)."""

REASON_CODES = {"worse than baseline": "[w]", "not positive": "[n]"}
CELL_LEGEND = ("[w] worse than the baseline, [n] not positive (both count as infeasible); "
               "fail: no valid score; -: no run")


def _task_name(board: Scoreboard, task: str) -> str:
    row = next((t for t in board.tasks if t.task == task), None)
    return task + (STAND_IN_MARK if row is not None and row.stand_in else "")


def common_prefix(names: Sequence[str]) -> str:
    """The longest prefix all ``names`` share that ends at a ``/`` or ``-`` (shown once, not per column)."""
    agents = [n for n in names if n != BASELINE]
    if len(agents) < 2:
        return ""
    prefix = agents[0]
    for name in agents[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    cut = max(prefix.rfind("/"), prefix.rfind("-"))
    return prefix[: cut + 1] if cut >= 0 else ""


def _short(name: str, prefix: str) -> str:
    return "baseline" if name == BASELINE else name.removeprefix(prefix) or name


def _cell(board: Scoreboard, key: str, t: TaskRow, c: str) -> str:
    score = t.best(key).get(c)
    ratio = board.measures[key].ratios.get(t.task, {}).get(c)
    if c != BASELINE and t.runs.get(c, 0) == 0:
        return "-"
    if score is None:
        return "fail" if c != BASELINE else "-"
    code = REASON_CODES.get(ratio.reason or "", "") if ratio is not None else ""
    return fmt(score) + (f" {code}" if code else "")


def _tasks_table(board: Scoreboard) -> tuple[str, list[str], list[list[str]]]:
    header = ["task", "metric", "better", "baseline", "source", "runs"]
    rows = [[_task_name(board, t.task), t.metric, t.direction.word, fmt(t.baseline),
             "+".join(t.sources), str(sum(v for c, v in t.runs.items() if c != BASELINE))] for t in board.tasks]
    return "Tasks (each scored against the baseline its runs were graded with)", header, rows


def _score_tables(board: Scoreboard, prefix: str = "") -> list[tuple[str, list[str], list[list[str]]]]:
    tables = []
    k = "all" if board.attempts is None else str(board.attempts)
    for key, title in MEASURES.items():
        header = ["task", *[_short(c, prefix) for c in board.competitors]]
        rows = [[_task_name(board, t.task), *[_cell(board, key, t, c) for c in board.competitors]] for t in board.tasks]
        tables.append((f"{title.replace('@k', '@' + k)} per task", header, rows))
    return tables


def _aup_table(board: Scoreboard) -> tuple[str, list[str], list[list[str]]]:
    header = ["competitor"]
    for key in board.measures:
        header.append(f"AUP {MEASURES[key]}")
    rows = [[c] + [fmt(t.aup.get(c)) for t in board.measures.values()] for c in board.competitors]
    rows.sort(key=lambda r: -(board.measures["best_attempt"].aup.get(r[0]) or 0.0))
    table = next(iter(board.measures.values()))
    how = "chosen as MLGym does" if table.tau_max_auto else "set"
    area = "exact area" if table.aup_grid is None else f"area on MLGym's {table.aup_grid}-point grid"
    return (f"Area under the performance profile (higher is better; tau_max {table.tau_max:.4g}, {how}; {area})",
            header, rows)


def _exit_table(board: Scoreboard, prefix: str = "") -> tuple[str, list[str], list[list[str]]]:
    groups = board.exits.used_groups()
    header = ["competitor", *groups, "runs"]
    rows = []
    for c, counts in board.exits.counts.items():
        rows.append([_short(c, prefix), *[str(counts.get(g, 0)) for g in groups], str(board.exits.runs.get(c, 0))])
    return "How runs ended (the paper's groups; a run can count in two, e.g. evaluation + format)", header, rows


def _cost_table(board: Scoreboard, prefix: str = "") -> tuple[str, list[str], list[list[str]]]:
    header = ["competitor", "runs", "cost $", "$ per task", "tokens in", "tokens out",
              *[f"AUP/$ {MEASURES[k]}" for k in MEASURES]]
    rows = [
        [_short(c.competitor, prefix), str(c.runs), f"{c.cost:.4f}", f"{c.cost_per_task:.4f}", str(c.tokens_in),
         str(c.tokens_out),
         *[fmt(c.aup_per_dollar.get(k)) if c.aup_per_dollar.get(k) is not None else "(free)" for k in MEASURES]]
        for c in board.costs
    ]
    return "Cost (AUP per dollar spent per task)", header, rows


def _tables(board: Scoreboard, prefix: str = "") -> list[tuple[str, list[str], list[list[str]]]]:
    return [_tasks_table(board), *_score_tables(board, prefix), _aup_table(board), _exit_table(board, prefix),
            _cost_table(board, prefix)]


def _wrap(text: str, width: int) -> list[str]:
    """Split a header at spaces, ``-`` and ``/`` into lines of at most ``width`` (longer pieces kept whole)."""
    pieces = re.findall(r"[^ /-]+[/-]?|[/-]", text)
    lines: list[str] = []
    for piece in pieces:
        if lines and len(lines[-1]) + len(piece) + (0 if lines[-1].endswith(("-", "/")) else 1) <= width:
            lines[-1] += piece if lines[-1].endswith(("-", "/")) else " " + piece
        else:
            lines.append(piece)
    return lines or [""]


def plain_table(header: Sequence[str], rows: Sequence[Sequence[str]], width: int | None = None,
                keys: int = 1, max_header: int = 12) -> str:
    """Columns padded with spaces, a dashed rule under the header.

    With ``width``, headers wrap onto several lines (at most ``max_header`` wide unless the data is wider)
    and a table still too wide is cut into blocks of columns, each repeating the first ``keys`` columns.
    """
    header = [str(h) for h in header]
    data = [[str(c) for c in r] for r in rows]
    if width is None:
        widths = [max(len(r[i]) for r in [header, *data]) for i in range(len(header))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *data]]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)
    wrapped = []
    widths = []
    for i, h in enumerate(header):
        data_width = max((len(r[i]) for r in data), default=0)
        lines = _wrap(h, max(data_width, max_header)) if i >= keys else [h]
        wrapped.append(lines)
        widths.append(max(data_width, *(len(x) for x in lines)))
    blocks: list[list[int]] = []
    base = sum(widths[:keys]) + 2 * keys
    current: list[int] = []
    used = base
    for i in range(keys, len(header)):
        if current and used + widths[i] > width:
            blocks.append(current)
            current, used = [], base
        current.append(i)
        used += widths[i] + 2
    blocks.append(current)
    out = []
    for block in blocks:
        cols = list(range(keys)) + block
        height = max(len(wrapped[i]) for i in cols)
        head = [[(wrapped[i] + [""] * height)[j] if i >= keys else (wrapped[i][0] if j == height - 1 else "")
                 for i in cols] for j in range(height)]
        lines = ["  ".join(r[n].ljust(widths[i]) for n, i in enumerate(cols)).rstrip() for r in head]
        lines.append("  ".join("-" * widths[i] for i in cols))
        lines += ["  ".join(r[i].ljust(widths[i]) for i in cols).rstrip() for r in data]
        out.append("\n".join(lines))
    return "\n\n".join(out)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def cell(text: str) -> str:
        return str(text).replace("|", "\\|")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _footer(board: Scoreboard, prefix: str = "", legend: bool = True) -> list[str]:
    lines = []
    if prefix:
        lines.append(f"Competitors are shown without their common prefix '{prefix}'.")
    if legend:
        lines.append(f"Cells: {CELL_LEGEND}.")
    if board.stand_in_tasks:
        lines.append(STAND_IN_NOTE)
    lines.append(
        "Ratios: best/score (higher is better) or score/best (lower is better); missing, failed, non-positive "
        "or worse-than-baseline scores count at the task's worst feasible ratio x 1.05."
    )
    for key, table in board.measures.items():
        if table.left_out:
            lines.append(f"{MEASURES[key]}: left out of the profiles (no feasible score): {', '.join(table.left_out)}")
    lines += [f"note: {n}" for n in board.grouped_notes]
    if board.in_progress:
        lines.append(f"{len(board.in_progress)} run(s) in progress or unfinished, not scored")
    lines += [f"skipped: {p}" for p in board.problems]
    return lines


def _summary(board: Scoreboard) -> str:
    k = "all attempts" if board.attempts is None else f"first {board.attempts} attempt(s)"
    text = (f"{board.runs} run(s) scored of {board.found} found, {len(board.tasks)} task(s), "
            f"{len(board.competitors)} competitor(s); {k}")
    if board.left_out:
        text += "; left out: " + ", ".join(f"{n} {why}" for why, n in board.left_out.items())
    return text


def render_text(board: Scoreboard, width: int = REPORT_WIDTH) -> str:
    """Plain-text report within ``width`` columns: tasks, per-task scores, AUP, exits, cost, then notes."""
    prefix = common_prefix(board.competitors)
    parts = [textwrap.fill(_summary(board), width)]
    for title, header, rows in _tables(board, prefix):
        parts.append(f"{textwrap.fill(title, width)}\n{plain_table(header, rows, width)}")
    parts.append("\n".join(textwrap.fill(line, width, subsequent_indent="  ") for line in _footer(board, prefix)))
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
    """Long format, one value per row: ``table,task,competitor,measure,value,note``.

    ``task`` rows carry each row's metric, direction, baseline, sources and task id; ``note`` rows the
    grouped notes; ``left_out`` rows why runs are not in the tables.
    """
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["table", "task", "competitor", "measure", "value", "note"])
    for t in board.tasks:
        w.writerow(["task", t.task, "", "task_id", t.task_id or t.task, ""])
        w.writerow(["task", t.task, "", "metric", t.metric, ""])
        w.writerow(["task", t.task, "", "direction", t.direction, ""])
        w.writerow(["task", t.task, "", "baseline", _raw(t.baseline), "stand-in" if t.stand_in else ""])
        w.writerow(["task", t.task, "", "sources", "+".join(t.sources), ""])
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
        grid = "" if table.aup_grid is None else f";aup_grid={table.aup_grid}"
        for c in board.competitors:
            w.writerow(["aup", "", c, key, _raw(table.aup.get(c)), f"tau_max={table.tau_max:.6g}{grid}"])
    for c, counts in board.exits.counts.items():
        for g in board.exits.used_groups():
            w.writerow(["exit", "", c, g, counts.get(g, 0), ""])
    for row in board.costs:
        w.writerow(["cost", "", row.competitor, "cost", _raw(row.cost), f"runs={row.runs}"])
        w.writerow(["cost", "", row.competitor, "cost_per_task", _raw(row.cost_per_task), ""])
        for key, v in row.aup_per_dollar.items():
            w.writerow(["aup_per_dollar", "", row.competitor, key, _raw(v), ""])
    for why, n in board.left_out.items():
        w.writerow(["left_out", "", "", why, n, ""])
    for line in board.grouped_notes:
        w.writerow(["note", "", "", "", "", line])
    return out.getvalue()


def _raw(value: float | int | None) -> str:
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


def render_json(board: Scoreboard) -> str:
    return json.dumps(board.to_dict(), indent=2) + "\n"


RENDERERS = {"table": render_text, "md": render_markdown, "csv": render_csv, "json": render_json}
