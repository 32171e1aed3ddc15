"""Corrupt inputs are reported with the file and the reason, never a crash (or a traceback)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlgym_tui.core.formats import FormatError, load_run
from mlgym_tui.core.formats.importing import import_path
from mlgym_tui.core.formats.mlgym import MAX_OBSERVATION_CHARS, TrajImportError, read_traj
from mlgym_tui.core.scoring import load_runs
from tests.core.formats_helpers import FIXTURE_TRAJS, load_json, make_real_run
from tests.helpers import cli

BIG = 200 * 1024 * 1024


def fixture_copy(tmp_path: Path, index: int = 0) -> Path:
    src = FIXTURE_TRAJS[index]
    folder = tmp_path / src.parent.name
    shutil.copytree(src.parent, folder)
    return folder / src.name


def test_truncated_traj_is_reported_with_file_and_reason(tmp_path: Path) -> None:
    traj = fixture_copy(tmp_path)
    data = traj.read_bytes()
    traj.write_bytes(data[: len(data) // 2])
    with pytest.raises(TrajImportError) as err:
        read_traj(traj)
    assert err.value.path == traj and "not valid JSON" in err.value.reason and "truncated" in err.value.reason
    proc = cli("import", str(traj), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and str(traj) in proc.stderr and "not valid JSON" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = cli("export", str(traj), "--format", "html")
    assert proc.returncode == 2 and str(traj) in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([1, 2, 3], "expected a JSON object"),
        ({"trajectory": {"action": "ls"}}, "field 'trajectory': expected a list of steps, got dict"),
        ({"history": []}, "field 'trajectory': expected a list of steps, got nothing"),
    ],
)
def test_traj_of_the_wrong_shape_is_refused_with_the_field(tmp_path: Path, body: object, reason: str) -> None:
    traj = tmp_path / "x.traj"
    traj.write_text(json.dumps(body))
    with pytest.raises(TrajImportError, match=reason):
        read_traj(traj)
    report = import_path(traj, tmp_path / "out")
    assert not report.written and reason in report.failed[0].reason


def test_wrong_types_inside_steps_become_warnings(tmp_path: Path) -> None:
    traj = fixture_copy(tmp_path)
    raw = load_json(traj)
    raw["trajectory"][0]["action"] = 42
    raw["trajectory"][1]["observation"] = {"not": "text"}
    raw["trajectory"][2] = "not a step"
    raw["trajectory"][3]["execution_time"] = "soon"
    raw["info"]["model_stats"] = {"total_cost": "a lot", "tokens_sent": None}
    traj.write_text(json.dumps(raw))
    (traj.parent / "results.json").write_text(json.dumps({"agent": "oops", "baseline": 3}))
    run = read_traj(traj)
    text = "\n".join(run.warnings)
    assert "trajectory[0].action: expected text, got int" in text
    assert "trajectory[1].observation: expected text, got dict" in text
    assert "trajectory[2]: expected an object, got str" in text
    assert "results.json 'agent': expected a list of metric objects" in text
    assert run.result.steps == len(raw["trajectory"]) and run.result.cost == 0.0
    assert run.result.submission is not None  # info.score still gives the scores


def test_a_200_mb_observation_is_cut_on_import_and_reported(tmp_path: Path) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    traj = folder / "prisonersDilemma.traj"
    with traj.open("w") as f:
        f.write('{"environment": "mlgym_main", "trajectory": [{"action": "cat huge.log\\n", "thought": "look", ')
        f.write('"execution_time": 1.5, "observation": "')
        chunk = "x" * (1 << 20)
        for _ in range(BIG // len(chunk)):
            f.write(chunk)
        f.write('"}], "history": [], "info": {"exit_status": "exit_context"}}')
    report = import_path(traj, tmp_path / "out")
    assert report.written, report.failed
    assert any("observation of 209.7 MB cut" in w for w in report.warnings)
    run = load_run(report.written[0])
    obs = run.steps()[0].observation
    assert len(obs) < MAX_OBSERVATION_CHARS + 200 and "characters cut on import" in obs
    assert (report.written[0] / "trajectory.jsonl").stat().st_size < 4 * MAX_OBSERVATION_CHARS


def test_a_200_mb_line_in_our_trajectory_is_skipped_and_reported(tmp_path: Path) -> None:
    folder = make_real_run(tmp_path / "runs")
    lines = (folder / "trajectory.jsonl").read_text().splitlines()
    with (folder / "trajectory.jsonl").open("w") as f:
        f.write(lines[0] + "\n" + lines[1] + "\n")
        f.write('{"kind": "output", "step": 1, "time": 1.0, "text": "')
        chunk = "y" * (1 << 20)
        for _ in range(BIG // len(chunk)):
            f.write(chunk)
        f.write('"}\n')
        f.write("\n".join(lines[2:]) + "\n")
    run = load_run(folder)
    assert any("line longer than 64 MiB" in p and "trajectory.jsonl:3" in p for p in run.problems)
    proc = cli("export", str(folder), "--format", "md")
    assert proc.returncode == 0 and "trajectory.jsonl:3: skipped, line longer than 64 MiB" in proc.stderr
    assert "Problems reading the run" in proc.stdout


def test_broken_run_folders_are_reported_by_export_and_score(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "trajectory.jsonl").write_text("")
    with pytest.raises(FormatError, match="empty file"):
        load_run(empty)
    bad_header = tmp_path / "bad-header"
    bad_header.mkdir()
    (bad_header / "trajectory.jsonl").write_text('{"kind": "action"}\n')
    (bad_header / "result.json").write_text("[]")
    proc = cli("export", str(bad_header), "--format", "json")
    assert proc.returncode == 2 and "trajectory.jsonl" in proc.stderr and "Traceback" not in proc.stderr
    runs = load_runs([tmp_path])
    reasons = {p.path.parent.name: p.reason for p in runs.problems}
    assert reasons["bad-header"] == "expected a JSON object, got list"
    assert not runs.runs and empty in runs.in_progress


def test_scoring_survives_wrong_types_in_result_json(tmp_path: Path) -> None:
    for name, patch in {
        "score-text": {"validations": [{"valid": True, "metrics": {"Score": "high"}, "score": "high"}]},
        "cost-text": {"cost": "free"},
        "direction": {"direction": "up"},
        "no-task": {"task": None},
    }.items():
        folder = tmp_path / name
        folder.mkdir()
        body = {"task": "t", "agent_name": "a", "exit_status": "submitted", "primary_metric": "Score",
                "direction": "max", **patch}
        (folder / "result.json").write_text(json.dumps(body))
    runs = load_runs([tmp_path])
    reasons = {p.path.parent.name: p.reason for p in runs.problems}
    assert reasons == {
        "cost-text": "field 'cost': expected an integer or a number, got str",
        "direction": "field 'direction': expected 'max' or 'min', got 'up'",
        "no-task": "field 'task': expected a string, got NoneType",
    }
    assert [r.validation_scores for r in runs.runs] == [()]  # a text score is no score
