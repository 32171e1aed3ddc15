"""imageClassificationCifar10: the offline stand-in pipeline end to end (quick), the real CIFAR-10 loader
on a tiny local copy in the hub's formats, invalid submissions, and (nightly) the full baseline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.tasks.common import run_baseline
from tests.tasks_torch_jax.support import assert_invalid_cases, make_fixture, pipeline, prepare_full

TASK = "imageClassificationCifar10"
pytestmark = pytest.mark.xdist_group("torch-tasks")


def test_smoke_baseline_trains_predicts_and_scores() -> None:
    obs, evaluation = pipeline(TASK, ["MLGYM_PROFILE=smoke python baseline.py"])
    assert evaluation["valid"], obs
    assert 0.0 <= evaluation["metrics"]["accuracy"] <= 1.0


@pytest.mark.parametrize("layout", ["hub", "saved"])
def test_full_loader_reads_cifar10_formats(layout: str, tmp_path: Path) -> None:
    make_fixture(TASK, "cifar10.py", tmp_path)
    out = tmp_path / "prepared"
    proc = prepare_full(TASK, out, {"CIFAR10_SOURCE": str(tmp_path / layout)}, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = np.load(tmp_path / "expected.npz")
    assert np.array_equal(np.load(out / "public" / "train_images.npy"), expected["train_x"])
    assert np.array_equal(np.load(out / "public" / "train_labels.npy"), expected["train_y"])
    assert np.array_equal(np.load(out / "public" / "test_images.npy"), expected["test_x"])
    assert np.array_equal(np.load(out / "private" / "test_labels.npy"), expected["test_y"])
    assert not (out / "public" / "test_labels.npy").exists()
    meta = json.loads((out / "public" / "meta.json").read_text())
    assert meta["profile"] == "full" and meta["stand_in"] is False and meta["classes"][0] == "airplane"


def test_full_loader_fails_clearly_when_the_data_is_unreachable(tmp_path: Path) -> None:
    proc = prepare_full(TASK, tmp_path / "prepared", {"CIFAR10_SOURCE": str(tmp_path / "nowhere")}, tmp_path)
    assert proc.returncode != 0
    assert "cannot load CIFAR-10" in proc.stderr and "CIFAR10_SOURCE" in proc.stderr


def _write(text: str):
    return lambda ws: (ws / "submission.csv").write_text(text)


def test_invalid_submissions_are_rejected_with_a_reason() -> None:
    assert_invalid_cases(TASK, [
        (lambda ws: None, "submission.csv not found"),
        (_write("label\n1\n2\n"), "has 2 predictions, expected 5000"),
        (_write("prediction\n1\n"), "must start with the header line 'label'"),
        (_write("label\n" + "cat\n" * 5000), "'cat' is not an integer class"),
        (_write("label\n" + "10\n" * 5000), "class 10 is outside 0-9"),
    ])


@pytest.mark.nightly
def test_baseline_reproduces_recorded_score(tmp_path: Path) -> None:
    run_baseline(TASK, tmp_path, timeout=1800)
