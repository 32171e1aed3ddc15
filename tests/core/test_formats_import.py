"""Importing MLGym and SWE-agent trajectories into ordinary run folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlgym_tui.core.events import EventKind
from mlgym_tui.core.formats.mlgym import parse_run_name, read_traj
from mlgym_tui.core.scoring.runs import read_run_record
from mlgym_tui.core.trajectory import read_result, read_trajectory
from tests.core.formats_helpers import FIXTURE_TRAJS, FIXTURES, load_json
from tests.helpers import PROJECT, cli


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("imported")
    tasks = tmp_path_factory.mktemp("tasks")  # only prisonersDilemma is known, whatever tasks/ holds later
    shutil.copytree(PROJECT / "tasks" / "prisonersDilemma", tasks / "prisonersDilemma")
    proc = cli("import", str(FIXTURES), "--out", str(out), env={"MLGYM_TASKS_DIR": str(tasks)})
    assert proc.returncode == 0, proc.stderr
    assert "imageClassificationFMnist' is not in tasks/: imported anyway" in proc.stderr
    folders = [Path(line.split(": ", 1)[1]) for line in proc.stdout.splitlines() if line.startswith("imported: ")]
    assert len(folders) == 2
    return {read_trajectory(f).header["task"]: f for f in folders}


@pytest.mark.parametrize("traj", FIXTURE_TRAJS, ids=lambda p: p.stem)
def test_imported_run_has_the_same_steps_actions_and_scores(traj: Path, imported: dict[str, Path]) -> None:
    raw = load_json(traj)
    results = load_json(traj.parent / "results.json")
    folder = imported[traj.stem]
    trajectory = read_trajectory(folder)
    assert not trajectory.problems and trajectory.ended
    actions = [e.data["action"] for e in trajectory.events if e.kind is EventKind.ACTION]
    assert len(actions) == len(raw["trajectory"])
    assert actions == [s["action"].removesuffix("\n") for s in raw["trajectory"]]
    thoughts = [e.data["text"] for e in trajectory.events if e.kind is EventKind.THOUGHT]
    assert thoughts == [s["thought"] for s in raw["trajectory"]]
    observations = [e.data["text"] for e in trajectory.events if e.kind is EventKind.OBSERVATION and e.step > 0]
    assert observations == [s["observation"] for s in raw["trajectory"]]
    durations = [e.data["duration"] for e in trajectory.events if e.kind is EventKind.OBSERVATION and e.step > 0]
    assert durations == pytest.approx([float(s["execution_time"]) for s in raw["trajectory"]], abs=1e-4)
    times = [e.time for e in trajectory.events]
    assert times == sorted(times)

    result = load_json(folder / "result.json")
    assert result["agent"] == results["agent"]
    assert result["baseline"] == results["baseline"]
    assert result["steps"] == len(raw["trajectory"])
    stats = raw["info"]["model_stats"]
    assert result["cost"] == pytest.approx(stats["total_cost"])
    assert (result["tokens_in"], result["tokens_out"]) == (stats["tokens_sent"], stats["tokens_received"])
    assert result["exit_status"] == "submitted" and result["source"] == "mlgym"
    metric = next(iter(results["agent"][-1]))
    assert result["score"] == results["agent"][-1][metric]
    validations = [e for e in trajectory.events if e.kind is EventKind.VALIDATION and e.data["valid"]]
    assert [e.data["metrics"] for e in validations] == results["agent"][:-1]
    names = parse_run_name(traj.parent.name, traj.stem)
    assert (result["model"], result["task"], result["seed"]) == (names["model"], traj.stem, 0)
    record = read_run_record(folder)  # scoring reads it like any run folder
    assert record.submission_score == results["agent"][-1][metric]


def test_validation_that_found_no_artefact_is_recorded_invalid(imported: dict[str, Path]) -> None:
    events = read_trajectory(imported["imageClassificationFMnist"]).events
    validations = [e for e in events if e.kind is EventKind.VALIDATION]
    assert [v.data["valid"] for v in validations] == [False, True]
    assert "Submission artefact not found" in validations[0].data["error"]


def test_folder_layout_and_header_of_an_imported_run(imported: dict[str, Path]) -> None:
    folder = imported["prisonersDilemma"]
    assert folder.parts[-3:-1] == ("prisonersDilemma", "mlgym-metagen-gemini-15-pro")
    assert folder.name.endswith("-s0")
    header = read_trajectory(folder).header
    assert header["imported"]["format"] == "mlgym-traj" and len(header["imported"]["sha256"]) == 64
    assert header["config"] == {"config": "default", "temperature": 0.0, "top_p": 0.95, "cost_limit": 4.0,
                                "install": 0}
    assert read_result(folder).task == "prisonersDilemma"


def test_importing_twice_does_not_duplicate(tmp_path: Path) -> None:
    assert cli("import", str(FIXTURES), "--out", str(tmp_path), "-q").returncode == 0
    again = cli("import", str(FIXTURES), "--out", str(tmp_path), "-q")
    assert again.returncode == 0 and again.stdout.count("already imported: ") == 2
    assert again.stdout.splitlines()[-1] == "0 imported, 2 already imported, 0 skipped, 0 failed"
    assert len(list(tmp_path.rglob("result.json"))) == 2


def test_swe_agent_trajectory_imports_without_scores(tmp_path: Path) -> None:
    folder = tmp_path / "someone__gpt-4o__swe-bench-lite__default__t-0.00__p-0.95__c-3.00__install-1"
    folder.mkdir()
    traj = {
        "environment": "swe_main",
        "trajectory": [
            {"action": "ls\n", "observation": "setup.py\nsrc", "response": "Look.\n```\nls\n```", "thought": "Look.",
             "execution_time": 0.2, "state": "{}"},
            {"action": "submit\n", "observation": "diff --git a/x b/x", "response": "Done.", "thought": "Done.",
             "execution_time": 0.1, "state": "{}"},
        ],
        "history": [{"role": "system", "content": "sys"}, {"role": "user", "content": "fix the bug"}],
        "info": {"exit_status": "submitted", "submission": "diff --git a/x b/x",
                 "model_stats": {"instance_cost": 0.25, "tokens_sent": 1000, "tokens_received": 50, "api_calls": 2}},
    }
    (folder / "django__django-11099.traj").write_text(json.dumps(traj))
    run = read_traj(folder / "django__django-11099.traj")
    assert run.result.source == "swe-agent" and run.result.agent == "swe-agent"
    assert run.result.model == "gpt-4o" and run.result.task == "django__django-11099"
    assert run.result.submission is None and run.result.final_score is None
    assert run.result.cost == 0.25 and run.result.tokens_in == 1000
    assert any("SWE-agent trajectory, imported without scores" in w for w in run.warnings)
    out = tmp_path / "runs"
    proc = cli("import", str(folder), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (next(out.rglob("trajectory.jsonl")).parent / "result.json").is_file()


def test_autosubmission_status_maps_to_ours(tmp_path: Path) -> None:
    src = FIXTURE_TRAJS[0]
    folder = tmp_path / src.parent.name.replace("run_0", "run_3")
    shutil.copytree(src.parent, folder)
    raw = load_json(folder / src.name)
    raw["info"]["exit_status"] = "autosubmission (max_steps)"
    (folder / src.name).write_text(json.dumps(raw))
    run = read_traj(folder / src.name)
    assert run.result.exit_status == "autosubmission_max_steps" and run.result.seed == 3
    assert run.header["imported"]["exit_status"] == "autosubmission (max_steps)"
