"""Scoring against hand-computed values: ratios, profiles, AUP, Best Attempt/Submission@k, exits, cost.

The main example (three tasks, agents A, B, C and the task baseline):

    T1 (higher is better, baseline 2):  A 4, B 2 (ties the baseline), C has no run
    T2 (lower is better, baseline 10):  A 5, B 20 (worse than baseline), C -1 (negative)
    T3 (higher is better, baseline 1):  A ran but failed, B 3, C 3 (a tie for best)

    ratios        A      B      C      baseline
    T1            1      2      2.1    2            worst feasible 2 -> infeasible 2 x 1.05 = 2.1
    T2            1      2.1    2.1    2            worst feasible 2 -> 2.1
    T3            3.15   1      1      3            worst feasible 3 -> 3.15

τ_max (chosen as MLGym does): the worst feasible ratios are 2, 2 and 3; each task asks for ⌈ratio x 1.05⌉,
the largest is ⌈3.15⌉ = 4, and log10 4 = 0.602 rounded up to one decimal is 0.7. Every log ratio is below it,
so AUP = τ_max - mean log10 ratio:
    A  0.7 - (0 + 0 + log10 3.15) / 3                    = 0.533896
    B  0.7 - (log10 2 + log10 2.1 + 0) / 3               = 0.492250
    C  0.7 - (2 x log10 2.1 + 0) / 3                     = 0.485187
    baseline 0.7 - (2 x log10 2 + log10 3) / 3           = 0.340273
"""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from mlgym_tui.core.scoring import (
    BASELINE,
    Note,
    TaskInfo,
    area_under_profile,
    exit_group,
    performance_profile,
    performance_ratios,
    render_csv,
    render_json,
    render_markdown,
    render_text,
    scoreboard,
)
from tests.core.scoring_helpers import info_from, record, runset

TASKS = {"T1": ("max", 2.0), "T2": ("min", 10.0), "T3": ("max", 1.0)}


def example_board(tau_max: float | None = None):  # noqa: ANN201
    runs = runset(
        record("T1", "A", 4.0), record("T1", "B", 2.0),
        record("T2", "A", 5.0, direction="min"), record("T2", "B", 20.0, direction="min"),
        record("T2", "C", -1.0, direction="min"),
        record("T3", "A", None, status="submitted"), record("T3", "B", 3.0), record("T3", "C", 3.0),
    )
    return scoreboard(runs, tau_max=tau_max, task_info=info_from(TASKS))


def test_ratios_match_the_hand_computed_table() -> None:
    board = example_board()
    table = board.measures["best_submission"]
    got = {t: {c: round(r.value, 9) for c, r in row.items()} for t, row in table.ratios.items()}
    assert got == {
        "T1": {"A": 1.0, "B": 2.0, "C": 2.1, BASELINE: 2.0},
        "T2": {"A": 1.0, "B": 2.1, "C": 2.1, BASELINE: 2.0},
        "T3": {"A": 3.15, "B": 1.0, "C": 1.0, BASELINE: 3.0},
    }
    reasons = {t: {c: r.reason for c, r in row.items() if r.reason} for t, row in table.ratios.items()}
    assert reasons == {
        "T1": {"C": "missing"},
        "T2": {"B": "worse than baseline", "C": "not positive"},
        "T3": {"A": "failed"},
    }


def test_aup_and_tau_max_match_the_hand_computed_values() -> None:
    board = example_board()
    for key in ("best_attempt", "best_submission"):
        table = board.measures[key]
        assert table.tau_max == 0.7
        assert table.tau_max_auto
        assert table.aup["A"] == pytest.approx(0.533896, abs=1e-6)
        assert table.aup["B"] == pytest.approx(0.492250, abs=1e-6)
        assert table.aup["C"] == pytest.approx(0.485187, abs=1e-6)
        assert table.aup[BASELINE] == pytest.approx(0.340273, abs=1e-6)


def test_profiles_are_the_hand_computed_step_functions() -> None:
    table = example_board().measures["best_attempt"]
    a = table.profiles["A"]
    assert [v for step in a.steps for v in step] == pytest.approx([0.0, 2 / 3, math.log10(3.15), 1.0])
    assert a.rho(0.0) == pytest.approx(2 / 3) and a.rho(0.49) == pytest.approx(2 / 3) and a.rho(0.5) == 1.0
    b = table.profiles["B"]
    assert [round(x, 6) for x, _ in b.steps] == [0.0, 0.30103, 0.322219]
    assert [round(r, 6) for _, r in b.steps] == [round(1 / 3, 6), round(2 / 3, 6), 1.0]


def test_fixed_tau_max_cuts_the_area() -> None:
    board = example_board(tau_max=0.31)
    table = board.measures["best_attempt"]
    assert not table.tau_max_auto
    # A: (0.31 + 0.31 + 0) / 3; B: (0.31 - 0.30103 + 0 + 0.31) / 3; baseline: (0.31 - 0.30103) * 2 / 3
    assert table.aup["A"] == pytest.approx(0.62 / 3, abs=1e-6)
    assert table.aup["B"] == pytest.approx((0.31 - math.log10(2) + 0.31) / 3, abs=1e-9)
    assert table.aup[BASELINE] == pytest.approx(2 * (0.31 - math.log10(2)) / 3, abs=1e-9)


def test_best_attempt_and_best_submission_over_k_attempts() -> None:
    runs = runset(
        record("T", "A", 4.0, validations=(3.0, 5.0), attempt=0),
        record("T", "A", 4.5, validations=(6.0,), attempt=1),
        record("T", "A", 7.0, attempt=2),
    )
    info = info_from({"T": ("max", 1.0)})
    k1 = scoreboard(runs, attempts=1, task_info=info).tasks[0]
    assert (k1.best_attempt["A"], k1.best_submission["A"], k1.runs["A"]) == (5.0, 4.0, 1)
    k2 = scoreboard(runs, attempts=2, task_info=info).tasks[0]
    assert (k2.best_attempt["A"], k2.best_submission["A"]) == (6.0, 4.5)
    every = scoreboard(runs, task_info=info).tasks[0]
    assert (every.best_attempt["A"], every.best_submission["A"], every.runs["A"]) == (7.0, 7.0, 3)
    k5 = scoreboard(runs, attempts=5, task_info=info)
    assert any("A has 3 of 5 attempts" in n for n in k5.grouped_notes)


def test_min_metric_best_is_the_lowest() -> None:
    runs = runset(record("T", "A", 0.4, validations=(0.3, 0.5), direction="min"))
    row = scoreboard(runs, task_info=info_from({"T": ("min", 1.0)})).tasks[0]
    assert (row.best_attempt["A"], row.best_submission["A"]) == (0.3, 0.4)


def test_single_competitor_without_baseline_gets_mlgyms_smallest_width() -> None:
    # Every ratio is 1: the task asks for ⌈1 x 1.05⌉ = 2, log10 2 = 0.301 rounds up to 0.4.
    board = scoreboard(runset(record("T", "A", 5.0)), include_baseline=False, task_info=info_from({"T": ("max", None)}))
    table = board.measures["best_attempt"]
    assert board.competitors == ["A"]
    assert table.ratios["T"]["A"].value == 1.0
    assert table.tau_max == 0.4
    assert table.aup["A"] == pytest.approx(0.4)


def test_single_agent_against_the_baseline_only() -> None:
    # A 5 vs baseline 4 (max): ratios 1 and 1.25; ⌈1.25 x 1.05⌉ = 2 → tau_max 0.4; AUP A 0.4, baseline 0.4 - log10 1.25.
    board = scoreboard(runset(record("T", "A", 5.0)), task_info=info_from({"T": ("max", 4.0)}))
    table = board.measures["best_submission"]
    assert table.ratios["T"][BASELINE].value == pytest.approx(1.25)
    assert table.aup["A"] == pytest.approx(0.4)
    assert table.aup[BASELINE] == pytest.approx(0.4 - math.log10(1.25))


def test_ties_share_the_best_ratio() -> None:
    ratios = performance_ratios({"A": 2.0, "B": 2.0, "C": 1.0}, "max")
    assert ratios["A"].value == ratios["B"].value == 1.0 and ratios["C"].value == 2.0


def test_a_task_nobody_solved_is_left_out() -> None:
    runs = runset(record("T", "A", None), record("U", "A", 2.0))
    board = scoreboard(runs, include_baseline=False, task_info=info_from({"T": ("max", None), "U": ("max", None)}))
    table = board.measures["best_attempt"]
    assert table.left_out == ["T"] and table.tasks == ["U"]


def test_area_is_exact_for_the_step_function() -> None:
    # Two tasks at log ratios 0 and 0.2, tau_max 0.5: area = 0.5 * 0.5 + 0.3 * 0.5 ... = (0.5 + 0.3) / 2.
    assert area_under_profile([0.0, 0.2], 0.5) == pytest.approx(0.4)
    assert area_under_profile([0.0, 0.7], 0.5) == pytest.approx(0.25)
    curve = performance_profile("x", [0.0, 0.2])
    assert curve.points(0.5) == [(0.0, 0.5), (0.2, 0.5), (0.2, 1.0), (0.5, 1.0)]


@pytest.mark.parametrize(
    ("status", "valid", "error", "group"),
    [
        ("submitted", True, None, "success"),
        ("submitted", False, "evaluation script failed: KeyError", "evaluation + submit"),
        ("submitted", False, "no submission", "evaluation"),
        ("autosubmission_max_steps", True, None, "max steps"),
        ("autosubmission_max_steps", False, "no submission", "evaluation"),
        ("autosubmission_wall_time", True, None, "max steps"),
        ("exit_context", True, None, "context"),
        ("exit_context", False, "no submission", "evaluation + context"),
        ("exit_cost", True, None, "cost"),
        ("exit_format", False, "evaluation script failed", "evaluation + format"),
        ("exit_api", True, None, "API"),
        ("exit_permission", False, None, "permission"),
        ("exit_runtime", False, None, "runtime"),
        ("exit_error", False, None, "runtime"),
        ("exit_interrupted", False, None, "other"),
        ("something new", False, None, "other"),
    ],
)
def test_our_exit_statuses_group_like_the_paper(status: str, valid: bool, error: str | None, group: str) -> None:
    assert exit_group(status, valid, error) == group


def test_exit_breakdown_and_cost_per_agent() -> None:
    runs = runset(
        record("T1", "A", 4.0, cost=1.0), record("T2", "A", None, status="exit_context", cost=3.0, direction="min"),
        record("T1", "B", 2.0, status="autosubmission_max_steps"),
    )
    board = scoreboard(runs, task_info=info_from({"T1": ("max", 2.0), "T2": ("min", 10.0)}))
    assert board.exits.counts["A"] == {"success": 1, "evaluation": 1, "context": 1}  # no submission at the limit
    assert board.exits.runs["A"] == 2
    assert board.exits.counts["B"] == {"max steps": 1}
    cost = {c.competitor: c for c in board.costs}
    assert cost["A"].cost == 4.0 and cost["A"].cost_per_task == 2.0
    assert cost["A"].aup_per_dollar["best_attempt"] == pytest.approx(board.measures["best_attempt"].aup["A"] / 2.0)
    assert cost["B"].aup_per_dollar["best_attempt"] is None  # spent nothing


def test_renderers_show_every_table_and_mark_stand_in_tasks() -> None:
    runs = runset(record("T1", "A", 4.0, stand_in=True), record("T1", "B", 2.0, stand_in=True))
    board = scoreboard(runs, task_info=lambda task: TaskInfo("m", "max", 2.0))
    text = render_text(board)
    for heading in ("Best Attempt@all per task", "Best Submission@all per task", "Area under the performance profile",
                    "How runs ended", "Cost"):
        assert heading in text
    assert "T1*" in text and "stand-in data" in text
    assert "T1*" in render_markdown(board) and "| competitor |" in render_markdown(board)
    csv_text = render_csv(board)
    assert csv_text.splitlines()[0] == "table,task,competitor,measure,value,note"
    assert "score,T1,A,best_attempt,4.0,stand-in" in csv_text
    doc = json.loads(render_json(board))
    assert doc["stand_in_tasks"] == ["T1"] and doc["measures"]["best_attempt"]["aup"]["A"] > 0


def test_a_wide_board_fits_120_columns_with_every_competitor_and_grouped_notes() -> None:
    models = [f"metagen-{name}" for name in ("claude-35-sonnet-new", "gemini-20-flash-thinking", "llama3-405b-tools",
                                               "gpt-o3-mini", "deepseek-r1", "llama4-17b-128", "gemini-25-pro",
                                               "claude-37-sonnet", "gpt4o2", "gemini-15-pro", "gpt-o1", "llama4-17b-16")]
    tasks = ["naturalLanguageInferenceMNLI", "imageClassificationCifar10", "rlMountainCarContinuous"]
    runs = runset(*[record(t, "mlgym", 1.0 + i / 10 + j, model=m, baseline=1.0)
                    for i, m in enumerate(models) for j, t in enumerate(tasks)])
    runs.warnings += [Note("task is not in tasks/: imported anyway", f"/runs/{i}.traj") for i in range(36)]
    board = scoreboard(runs, task_info=lambda task: None)
    text = render_text(board)
    assert max(len(line) for line in text.splitlines()) <= 120
    for m in models:
        assert m.removeprefix("metagen-")[:10] in text
    assert "common prefix 'mlgym/metagen-'" in text
    assert text.count("task is not in tasks/: imported anyway") == 1
    assert "imported anyway (36 times, e.g. /runs/0.traj)" in text
    assert "stand-in" not in text  # no stand-in runs, no footnote
    narrow = render_text(board, width=80)
    assert max(len(line) for line in narrow.splitlines()) <= 80


def test_csv_carries_each_rows_baseline_and_the_notes() -> None:
    runs = runset(record("T1", "A", 4.0, baseline=2.0), record("T1", "B", 3.0, baseline=2.5))
    board = scoreboard(runs, task_info=lambda task: TaskInfo("m", "max", 2.0))
    rows = list(csv.reader(io.StringIO(render_csv(board))))
    baselines = {(r[1], r[4]) for r in rows if r[0] == "task" and r[3] == "baseline"}
    assert baselines == {("T1", "2.0"), ("T1 [mlgym-tui]", "2.5")}  # graded differently: two rows
    assert any(r[0] == "note" and "scored as separate tasks" in r[5] for r in rows)
