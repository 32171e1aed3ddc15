"""naturalLanguageInferenceMNLI: the offline stand-in pipeline end to end (quick), the real MultiNLI
loader on a tiny local copy in the hub's formats, invalid submissions, and (nightly) the full baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.tasks.common import run_baseline
from tests.tasks_torch_jax.support import (
    assert_invalid_cases,
    make_fixture,
    pipeline,
    prepare_full,
    run_task_python,
)

TASK = "naturalLanguageInferenceMNLI"
pytestmark = pytest.mark.xdist_group("torch-tasks")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_smoke_baseline_trains_predicts_and_scores() -> None:
    obs, evaluation = pipeline(TASK, ["MLGYM_PROFILE=smoke python baseline.py"])
    assert evaluation["valid"], obs
    assert 0.0 <= evaluation["metrics"]["validation_accuracy"] <= 1.0


@pytest.mark.parametrize("layout", ["hub", "saved"])
def test_full_loader_reads_multinli_formats(layout: str, tmp_path: Path) -> None:
    make_fixture(TASK, "multi_nli.py", tmp_path)
    out = tmp_path / "prepared"
    proc = prepare_full(TASK, out, {"MNLI_SOURCE": str(tmp_path / layout)}, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = json.loads((tmp_path / "expected.json").read_text())
    assert read_jsonl(out / "public" / "train.jsonl") == expected["train"]
    assert read_jsonl(out / "public" / "validation.jsonl") == expected["validation"]
    assert json.loads((out / "private" / "validation_labels.json").read_text()) == expected["labels"]
    meta = json.loads((out / "public" / "meta.json").read_text())
    assert meta["profile"] == "full" and meta["stand_in"] is False


def test_offline_pairs_are_balanced_and_disjoint(tmp_path: Path) -> None:
    proc = run_task_python(TASK, ["prepare_data.py", "--out", str(tmp_path), "--train-size", "600",
                                  "--validation-size", "300"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    train = read_jsonl(tmp_path / "public" / "train.jsonl")
    validation = read_jsonl(tmp_path / "public" / "validation.jsonl")
    labels = json.loads((tmp_path / "private" / "validation_labels.json").read_text())
    assert [sum(r["label"] == k for r in train) for k in range(3)] == [200, 200, 200]
    assert [labels.count(k) for k in range(3)] == [100, 100, 100]
    assert not {(r["premise"], r["hypothesis"]) for r in train} & {(r["premise"], r["hypothesis"]) for r in validation}
    assert all("label" not in r for r in validation)


def _write(text: str):
    return lambda ws: (ws / "submission.csv").write_text(text)


def test_invalid_submissions_are_rejected_with_a_reason() -> None:
    assert_invalid_cases(TASK, [
        (lambda ws: None, "submission.csv not found"),
        (_write("label\n0\n"), "has 1 predictions, expected 4000"),
        (_write("label\n" + "entailment\n" * 4000), "'entailment' is not a label"),
    ])


@pytest.mark.nightly
def test_baseline_reproduces_recorded_score(tmp_path: Path) -> None:
    run_baseline(TASK, tmp_path, timeout=1800)
