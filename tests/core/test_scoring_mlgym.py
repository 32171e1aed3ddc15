"""Scoring MLGym's own runs as MLGym does: each run against its own baseline and metric, results-only runs,
attempt order from ``run_N``, duplicates counted once, MLGym's exit strings in the paper's groups.

The fixture (tests/fixtures/mlgym_mini, hand-made in MLGym's layout):

    3SATTime (Time, lower is better; MLGym's baseline 16 s, not ours)
      model-a run_0  validate 15, submit 14                      submitted
      model-a run_1  validate 12, submission rejected            evaluation_format_error (submit)
      model-a run_2  results.json only: 10                       (no trajectory)
      model-b run_0  autosubmission 20 (worse than the baseline) autosubmission (max_steps)
    imageCaptioningCOCO (reports "BLEU Score", our BLEU; baseline 0.28)
      model-a run_0  submit 0.30                                 submitted
      model-b run_0  no artefact                                 submission_not_found (exit_format)

Hand-computed, k = 3 (every run): on 3SATTime model-a's Best Attempt is 10 (run_2) and its Best Submission
10 too (run_2's last score; run_1 adds 12, its last score, as MLGym reads it). Ratios (score / best):
a 1, baseline 16/10 = 1.6, b infeasible at 1.6 x 1.05 = 1.68. COCO (best / score): a 1, baseline
0.30/0.28 = 1.0714286, b failed at 1.125. τ_max: ⌈1.68⌉ = ⌈1.125⌉ = 2, log10 2 rounded up: 0.4. AUP =
0.4 - mean log10 ratio: a 0.4; baseline 0.4 - (log10 1.6 + log10 1.0714286)/2 = 0.2829584;
b 0.4 - (log10 1.68 + log10 1.125)/2 = 0.2617691.

k = 2 (run_0 and run_1 by run_N, whatever the file dates say): a's best is 12 on 3SATTime; baseline
16/12 = 1.3333, b 1.4; AUP baseline 0.4 - (log10 1.3333 + log10 1.0714286)/2 = 0.3225490,
b 0.4 - (log10 1.4 + log10 1.125)/2 = 0.3013597.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from mlgym_tui.core.formats import load_run, to_traj
from mlgym_tui.core.scoring import BASELINE, TaskInfo, exit_groups, load_runs, scoreboard
from tests.helpers import PROJECT, cli

MINI = PROJECT / "tests" / "fixtures" / "mlgym_mini"
SHARED = PROJECT / "tests" / "fixtures" / "mlgym"
A, B = "mlgym/metagen-model-a", "mlgym/metagen-model-b"


@pytest.fixture(scope="module")
def tasks_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Our 3SATTime and imageCaptioningCOCO only (their metric names and directions are what matters)."""
    tasks = tmp_path_factory.mktemp("tasks")
    for task in ("3SATTime", "imageCaptioningCOCO"):
        shutil.copytree(PROJECT / "tasks" / task, tasks / task)
    return tasks


@pytest.fixture
def shuffled(tmp_path: Path) -> Path:
    """A copy of the fixture whose file dates say run_2 came first and run_0 last (as `touch` might)."""
    root = tmp_path / "raw"
    shutil.copytree(MINI, root)
    for n, folder in enumerate(sorted(root.glob("*__3SATTime__*"), reverse=True)):
        for f in folder.iterdir():
            os.utime(f, (1_600_000_000 + n * 1000, 1_600_000_000 + n * 1000))
    return root


def score_json(*args: str, env: dict[str, str]) -> dict:
    proc = cli("score", *args, "--format", "json", env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_imported_mlgym_runs_are_scored_against_their_own_baselines_and_metrics(
    shuffled: Path, tasks_dir: Path, tmp_path: Path
) -> None:
    env = {"MLGYM_TASKS_DIR": str(tasks_dir)}
    out = tmp_path / "runs"
    proc = cli("import", str(shuffled), "--out", str(out), env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "6 imported, 0 already imported, 0 skipped, 0 failed"

    doc = score_json(str(out), "--attempts", "3", env=env)
    rows = {t["task"]: t for t in doc["tasks"]}
    assert set(rows) == {"3SATTime", "imageCaptioningCOCO"}  # COCO's "BLEU Score" is our BLEU: not dropped
    sat, coco = rows["3SATTime"], rows["imageCaptioningCOCO"]
    assert (sat["metric"], sat["direction"], sat["baseline"]) == ("Time", "min", 16.0)
    assert (coco["metric"], coco["direction"], coco["baseline"]) == ("BLEU", "max", 0.28)
    assert sat["runs"][A] == 3  # the results-only run counts
    assert (sat["best_attempt"][A], sat["best_submission"][A]) == (10.0, 10.0)
    assert (sat["best_attempt"][B], coco["best_attempt"][A], coco["best_attempt"][B]) == (20.0, 0.3, None)
    for key in ("best_attempt", "best_submission"):
        m = doc["measures"][key]
        assert m["tau_max"] == 0.4 and m["tau_max_auto"]
        assert m["ratios"]["3SATTime"][BASELINE]["ratio"] == pytest.approx(1.6)
        assert m["ratios"]["3SATTime"][B] == {"ratio": pytest.approx(1.68), "log10": pytest.approx(0.2253093),
                                              "score": 20.0, "infeasible": "worse than baseline"}
        assert m["ratios"]["imageCaptioningCOCO"][B]["ratio"] == pytest.approx(1.125)
        assert m["aup"][A] == pytest.approx(0.4)
        assert m["aup"][BASELINE] == pytest.approx(0.2829584, abs=1e-7)
        assert m["aup"][B] == pytest.approx(0.2617691, abs=1e-7)
    assert doc["exits"]["counts"][A] == {"success": 2, "evaluation": 1, "submit": 1, "other": 1}
    assert doc["exits"]["counts"][B] == {"max steps": 1, "evaluation": 1, "format": 1}

    # k = 2: run_0 and run_1 by their recorded index, although the file dates put run_2 first.
    two = score_json(str(out), "--attempts", "2", env=env)
    sat2 = next(t for t in two["tasks"] if t["task"] == "3SATTime")
    assert (sat2["best_attempt"][A], sat2["best_submission"][A], sat2["runs"][A]) == (12.0, 12.0, 2)
    aup = two["measures"]["best_attempt"]["aup"]
    assert aup[BASELINE] == pytest.approx(0.3225490, abs=1e-7) and aup[B] == pytest.approx(0.3013597, abs=1e-7)
    assert two["left_out"] == {"beyond the first k attempts": 1}

    # The raw folders score the same as their import.
    raw = score_json(str(shuffled), "--attempts", "2", env=env)
    assert raw["measures"] == two["measures"]


def test_our_runs_and_imported_runs_graded_against_different_baselines_are_two_rows(
    tmp_path: Path, tasks_dir: Path
) -> None:
    ours = tmp_path / "ours" / "3SATTime" / "sweep" / "20250101T000000Z-s0"
    ours.mkdir(parents=True)
    (ours / "result.json").write_text(json.dumps({
        "task": "3SATTime", "agent_name": "sweep", "model": None, "seed": 0, "exit_status": "submitted",
        "primary_metric": "Time", "direction": "min", "stand_in": True, "baseline": {"Time": 9.3},
        "submission": {"step": 3, "valid": True, "metrics": {"Time": 8.0}, "score": 8.0},
    }))
    runs = load_runs([MINI, tmp_path / "ours"])
    board = scoreboard(runs, task_info=lambda task: TaskInfo("Time", "min", 9.3) if task == "3SATTime" else None)
    rows = {t.task: t for t in board.tasks}
    assert {"3SATTime", "3SATTime [mlgym]"} <= set(rows)
    assert (rows["3SATTime"].baseline, rows["3SATTime [mlgym]"].baseline) == (9.3, 16.0)
    assert rows["3SATTime"].best_submission["sweep"] == 8.0 and rows["3SATTime"].runs[A] == 0
    assert rows["3SATTime [mlgym]"].runs[A] == 3 and rows["3SATTime [mlgym]"].runs["sweep"] == 0
    assert rows["3SATTime"].stand_in and not rows["3SATTime [mlgym]"].stand_in  # stand-in: only our data
    assert any("3SATTime: runs were graded against different baselines" in n and "3SATTime [mlgym]" in n
               for n in board.grouped_notes)
    text = cli("score", str(MINI), str(tmp_path / "ours"), env={"MLGYM_TASKS_DIR": str(tasks_dir)}).stdout
    assert "3SATTime [mlgym]" in text and "scored as separate tasks" in text
    assert "3SATTime*" in text or "3SATTime [mlgym-tui]*" in text  # the stand-in mark is on our row only
    assert "3SATTime [mlgym]*" not in text


def test_mlgyms_reward_is_our_reward_mean_one_row_for_both(tmp_path: Path) -> None:
    """MLGym's MountainCar runs report ``Reward``; ours ``Reward Mean``: same baseline, so one row, not two."""
    mlgym = tmp_path / "mlgym" / ("metagen-model-a__rlMountainCarContinuous__default__t-0.00__p-0.95__c-4.00"
                                  "__install-0__parallel_agents_run_0")
    mlgym.mkdir(parents=True)
    (mlgym / "results.json").write_text(json.dumps({"agent": [{"Reward": 40.0}], "baseline": {"Reward": 33.794}}))
    ours = tmp_path / "ours" / "rlMountainCarContinuous" / "sweep" / "20250101T000000Z-s0"
    ours.mkdir(parents=True)
    (ours / "result.json").write_text(json.dumps({
        "task": "rlMountainCarContinuous", "agent_name": "sweep", "model": None, "seed": 0,
        "exit_status": "submitted", "primary_metric": "Reward Mean", "direction": "max", "stand_in": False,
        "baseline": {"Reward Mean": 33.794},
        "submission": {"step": 3, "valid": True, "metrics": {"Reward Mean": 50.0}, "score": 50.0},
    }))
    board = scoreboard(load_runs([tmp_path / "mlgym", tmp_path / "ours"]),
                       task_info=lambda task: TaskInfo("Reward Mean", "max", 72.8198))
    [row] = board.tasks
    assert (row.task, row.metric, row.baseline) == ("rlMountainCarContinuous", "Reward Mean", 33.794)
    assert (row.best_submission[A], row.best_submission["sweep"]) == (40.0, 50.0)
    assert not any("different baselines" in n for n in board.grouped_notes)


def test_the_same_source_reached_twice_is_counted_once_with_a_warning(tmp_path: Path, tasks_dir: Path) -> None:
    env = {"MLGYM_TASKS_DIR": str(tasks_dir)}
    out = tmp_path / "runs"
    assert cli("import", str(MINI), "--out", str(out), "-q", env=env).returncode == 0
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "again").symlink_to(MINI, target_is_directory=True)
    runs = load_runs([MINI, out, linked])
    assert len(runs.runs) == 6
    assert len(runs.duplicates) == 12  # every run once more as its import, and once through the link
    board = scoreboard(runs)
    assert board.left_out["same source counted once"] == 12
    dup = [n for n in board.grouped_notes if "counted once" in n]
    assert len(dup) == 1 and "12 times" in dup[0]
    proc = cli("score", str(MINI), str(out), env=env)
    assert proc.returncode == 0 and "6 run(s) scored of 12 found" in proc.stdout
    assert "6 same source counted once" in proc.stdout
    assert proc.stderr.count("is the same source run as") == 6
    # Importing through the link again adds nothing; the symlinked folder is followed.
    again = cli("import", str(linked), "--out", str(out), env=env)
    assert again.stdout.splitlines()[-1] == "0 imported, 6 already imported, 0 skipped, 0 failed"
    both = cli("import", str(MINI), str(linked), "--out", str(tmp_path / "fresh"), "-q", env=env)
    assert both.stdout.splitlines()[-1].startswith("6 imported, 0 already imported, 6 skipped (6 same file")


@pytest.mark.parametrize(
    ("status", "groups"),
    [
        ("submitted", ("success",)),
        ("autosubmission (max_steps)", ("max steps",)),
        ("evaluation_format_error (submit)", ("evaluation", "submit")),  # the paper counts it twice
        ("submission_not_found (exit_format)", ("evaluation", "format")),
        ("submission_not_found (submit)", ("evaluation",)),
        ('unknown_error (open "data/train.csv" 0)', ("permission",)),  # the read-only data
        ("unknown_error (python train.py)", ("runtime",)),
        ("early_exit", ("runtime",)),
        # Strings MLGym's scripts never met: by the rules, as their neighbours are.
        ("autosubmission (wall_time)", ("max steps",)),
        ("evaluation_format_error (exit_api)", ("evaluation", "API")),
        ("a string nobody wrote", ("other",)),
    ],
)
def test_mlgym_exit_strings_count_in_the_papers_groups(status: str, groups: tuple[str, ...]) -> None:
    assert exit_groups(None, source_status=status) == groups


def _fixture_exit_strings() -> set[str]:
    found = set()
    for traj in [*SHARED.glob("*/*.traj"), *MINI.glob("*/*.traj")]:
        found.add(json.loads(traj.read_text())["info"]["exit_status"])
    return found


def test_every_exit_string_of_the_recorded_mlgym_runs_has_a_group() -> None:
    strings = _fixture_exit_strings()
    assert strings and all("other" not in exit_groups(None, source_status=s) for s in strings)


def test_an_empty_mlgym_status_is_named_by_the_last_action_as_mlgym_does() -> None:
    assert exit_groups(None, source_status="", last_action="validate") == ("evaluation",)
    assert exit_groups(None, source_status="", last_action='open "data/train.csv" 0') == ("permission",)
    assert exit_groups(None, source_status="", last_action="python baseline.py") == ("runtime",)


def test_imported_runs_keep_the_exit_string_verbatim_and_traj_export_writes_it_back(
    tmp_path: Path, tasks_dir: Path
) -> None:
    out = tmp_path / "runs"
    assert cli("import", str(MINI), "--out", str(out), "-q", env={"MLGYM_TASKS_DIR": str(tasks_dir)}).returncode == 0
    seen = {}
    for result in out.rglob("result.json"):
        raw = json.loads(result.read_text())
        if raw.get("source_exit_status") is not None:
            seen[raw["source_exit_status"]] = (raw["exit_status"], to_traj(load_run(result.parent))["info"]["exit_status"])
    assert seen == {
        "submitted": ("submitted", "submitted"),
        "evaluation_format_error (submit)": ("submitted", "evaluation_format_error (submit)"),
        "autosubmission (max_steps)": ("autosubmission_max_steps", "autosubmission (max_steps)"),
        "submission_not_found (exit_format)": ("exit_format", "submission_not_found (exit_format)"),
    }


def test_a_results_only_run_imports_with_its_scores_and_no_steps(tmp_path: Path, tasks_dir: Path) -> None:
    out = tmp_path / "runs"
    folder = next(MINI.glob("*__3SATTime__*_run_2"))
    proc = cli("import", str(folder), "--out", str(out), env={"MLGYM_TASKS_DIR": str(tasks_dir)})
    assert proc.returncode == 0, proc.stderr
    assert "results-only run (no .traj)" in proc.stderr
    result = json.loads(next(out.rglob("result.json")).read_text())
    assert (result["task"], result["model"], result["seed"], result["steps"]) == ("3SATTime", "metagen-model-a", 2, 0)
    assert result["score"] == 10.0 and result["exit_status"] == "unknown" and result["source"] == "mlgym"
    steps = load_run(next(out.rglob("result.json")).parent).steps()
    assert not any(s.action or s.observation for s in steps)
    for source in (next(out.rglob("result.json")).parent, folder):  # imported, and the raw folder
        replay = cli("replay", str(source))
        assert replay.returncode == 2 and "nothing to replay" in replay.stderr
        assert len(replay.stderr.strip().splitlines()) == 1


def test_filters_pick_tasks_and_competitors_by_glob(tasks_dir: Path) -> None:
    env = {"MLGYM_TASKS_DIR": str(tasks_dir)}
    doc = score_json(str(MINI), "--tasks", "3SAT*", "--exclude", "*model-b", env=env)
    assert [t["task"] for t in doc["tasks"]] == ["3SATTime"] and doc["competitors"] == [A, BASELINE]
    assert doc["left_out"] == {"filtered out": 3}
    doc = score_json(str(MINI), "--exclude-tasks", "3SATTime", "--competitors", "*model-a,*model-b", env=env)
    assert [t["task"] for t in doc["tasks"]] == ["imageCaptioningCOCO"]
    proc = cli("score", str(MINI), "--tasks", "nothing*", env=env)
    assert proc.returncode == 2 and "the filters left none" in proc.stderr


def test_our_runs_are_ordered_by_the_batch_attempt_then_start_time_not_seed_or_file_dates(tmp_path: Path) -> None:
    def our_run(name: str, seed: int, attempt: int | None, started: str, score: float) -> None:
        folder = tmp_path / "T" / "sweep" / name
        folder.mkdir(parents=True)
        config = {"batch": {"id": "b", "cell": f"T/sweep/a{attempt}", "attempt": attempt}} if attempt is not None else {}
        (folder / "trajectory.jsonl").write_text(json.dumps({"kind": "header", "task": "T", "config": config}) + "\n")
        (folder / "result.json").write_text(json.dumps({
            "task": "T", "agent_name": "sweep", "seed": seed, "exit_status": "submitted", "primary_metric": "m",
            "direction": "max", "baseline": {"m": 1.0}, "started": started,
            "submission": {"step": 1, "valid": True, "metrics": {"m": score}, "score": score},
        }))
        os.utime(folder / "result.json", (1_600_000_000 - seed, 1_600_000_000 - seed))

    our_run("x", seed=7, attempt=0, started="2025-01-02T00:00:00+00:00", score=2.0)
    our_run("y", seed=1, attempt=1, started="2025-01-01T00:00:00+00:00", score=5.0)
    board = scoreboard(load_runs([tmp_path]), attempts=1, task_info=lambda task: None)
    assert board.tasks[0].best_submission["sweep"] == 2.0  # attempt 0, though its seed and start are later
    for name in ("x", "y"):
        (tmp_path / "T" / "sweep" / name / "trajectory.jsonl").write_text('{"kind": "header", "task": "T"}\n')
    board = scoreboard(load_runs([tmp_path]), attempts=1, task_info=lambda task: None)
    assert board.tasks[0].best_submission["sweep"] == 5.0  # no batch attempt: the seed (1 before 7)
