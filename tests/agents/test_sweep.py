"""``--agent sweep``: a free hyperparameter search that ends at least as good as the baseline, with its
edits visible in the trajectory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlgym_tui.agents.sweep import find_slot
from mlgym_tui.core.task import Tunable
from mlgym_tui.core.task_sources import load_task
from tests.helpers import cli, read_jsonl


@pytest.mark.parametrize("task_id", ["prisonersDilemma", "blotto"])
def test_sweep_ends_at_least_as_good_as_the_baseline(tmp_path: Path, task_id: str) -> None:
    task = load_task(task_id)
    proc = cli("run", task_id, "--agent", "sweep", "-c", "max_evals=6", "--out", str(tmp_path), "-q")
    assert proc.returncode == 0, proc.stderr
    folder = next(tmp_path.rglob("result.json")).parent
    result = json.loads((folder / "result.json").read_text())
    assert result["exit_status"] == "submitted"
    first = result["validations"][0]["score"]  # the starting settings, scored in this run
    assert result["score"] is not None
    assert task.primary.direction.improvement(result["score"], first) >= 0
    assert task.primary.direction.improvement(result["score"], task.baseline_score) >= -task.baseline.tolerance

    records = read_jsonl(folder / "trajectory.jsonl")
    edits = [r["action"] for r in records if r["kind"] == "action" and r["action"].startswith("edit ")]
    names = {t.name for t in task.tunables}
    assert len(edits) >= 2 and all(any(n in e for n in names) for e in edits)
    assert any(r["kind"] == "file_changed" for r in records)
    thoughts = [r["text"] for r in records if r["kind"] == "thought"]
    assert any(t.startswith("Try ") for t in thoughts)
    # the submitted workspace holds the best settings the search reported
    strategy = (folder / "workspace" / task.tunables[0].file).read_text()
    best = thoughts[-1]
    for tunable in task.tunables:
        slot = find_slot(tunable, strategy)
        assert slot is not None and f"{tunable.name}={slot.original}" in best


def test_find_slot_locates_the_value_on_its_line() -> None:
    text = "import x\n\nRATE = 0.15  # how often\nOTHER = 2\n"
    slot = find_slot(Tunable(name="RATE", file="f.py", pattern=r"^RATE = ([0-9.]+)", values=[0.3]), text)
    assert slot is not None and slot.line == 3 and slot.original == "0.15"
    assert slot.line_with("0.3") == "RATE = 0.3  # how often"
    assert find_slot(Tunable(name="NO", file="f.py", pattern=r"^NO = (\d+)", values=[1]), text) is None


def test_sweep_trains_with_the_baseline_command_before_each_validation(pd_task_copy: Path, tmp_path: Path) -> None:
    task_yaml = pd_task_copy / "task.yaml"
    text = task_yaml.read_text().replace("  command: null", "  command: python -c \"import strategy; print('trained')\"")
    task_yaml.write_text(text)
    proc = cli("run", "prisonersDilemma", "--agent", "sweep", "-c", "max_evals=2", "--out", str(tmp_path / "o"), "-q")
    assert proc.returncode == 0, proc.stderr
    folder = next((tmp_path / "o").rglob("result.json")).parent
    actions = [r["action"] for r in read_jsonl(folder / "trajectory.jsonl") if r["kind"] == "action"]
    validations = [i for i, a in enumerate(actions) if a == "validate"]
    assert len(validations) >= 3  # the start and two candidates
    assert all(actions[i - 1].startswith("python -c") for i in validations)
