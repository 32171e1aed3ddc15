"""Scoring as in the MLGym paper: Best Attempt@k / Best Submission@k, performance profiles and AUP.

Typical use (the ``score`` command and the TUI's Scoreboard screen do exactly this)::

    from mlgym_tui.core.scoring import load_runs, scoreboard, render_text

    runs = load_runs(["runs/"])            # never raises for a bad folder: see runs.problems
    board = scoreboard(runs, attempts=3)   # tau_max=None: chosen from the data
    print(render_text(board))

Modules: :mod:`.runs` (finding and reading run folders, duplicates), :mod:`.selection` (filters),
:mod:`.grading` (which runs are scored together: each against the baseline it was graded with),
:mod:`.profiles` (ratios, profiles, AUP as pure functions), :mod:`.exit_groups` (exit statuses grouped as
in the paper), :mod:`.notes` (notes, grouped), :mod:`.board` (the tables), :mod:`.render` (text, Markdown,
CSV, JSON).
"""

from __future__ import annotations

from mlgym_tui.core.scoring.board import (
    BASELINE,
    MEASURES,
    CostRow,
    ExitBreakdown,
    MeasureTable,
    Scoreboard,
    TaskRow,
    scoreboard,
)
from mlgym_tui.core.scoring.exit_groups import EXIT_GROUPS, MLGYM_EXIT_GROUPS, exit_group, exit_groups
from mlgym_tui.core.scoring.grading import ScoredTask, TaskInfo, group_runs
from mlgym_tui.core.scoring.notes import Note
from mlgym_tui.core.scoring.profiles import (
    INFEASIBLE_MARGIN,
    MLGYM_AUP_GRID,
    ProfileCurve,
    Ratio,
    area_under_profile,
    auto_tau_max,
    performance_profile,
    performance_ratios,
)
from mlgym_tui.core.scoring.render import RENDERERS, render_csv, render_json, render_markdown, render_text
from mlgym_tui.core.scoring.runs import Problem, RunRecord, RunSet, load_runs
from mlgym_tui.core.scoring.selection import select_runs, split_patterns

__all__ = [
    "BASELINE",
    "EXIT_GROUPS",
    "INFEASIBLE_MARGIN",
    "MEASURES",
    "MLGYM_AUP_GRID",
    "MLGYM_EXIT_GROUPS",
    "RENDERERS",
    "CostRow",
    "ExitBreakdown",
    "MeasureTable",
    "Note",
    "Problem",
    "ProfileCurve",
    "Ratio",
    "RunRecord",
    "RunSet",
    "ScoredTask",
    "Scoreboard",
    "TaskInfo",
    "TaskRow",
    "area_under_profile",
    "auto_tau_max",
    "exit_group",
    "exit_groups",
    "group_runs",
    "load_runs",
    "performance_profile",
    "performance_ratios",
    "render_csv",
    "render_json",
    "render_markdown",
    "render_text",
    "scoreboard",
    "select_runs",
    "split_patterns",
]
