"""imageClassificationFMnist: the real data loads, the baseline reproduces, invalid submissions are invalid."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from mlgym_tui.core.env import ResearchEnv
from tests.helpers import PROJECT
from tests.tasks.common import assert_invalid, run_baseline

TASK = "imageClassificationFMnist"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")


def _load_prepare_module():
    spec = importlib.util.spec_from_file_location("fmnist_prepare", PROJECT / "tasks" / TASK / "prepare_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_baseline_reproduces_recorded_score(tmp_path: Path) -> None:
    run_baseline(TASK, tmp_path)


def test_workspace_has_images_but_no_test_labels() -> None:
    env = ResearchEnv(TASK)
    try:
        env.reset(seed=0)
        data = Path(env.runtime.workspace) / "data"
        assert sorted(p.name for p in data.iterdir()) == ["test.npz", "train.npz"]
        with np.load(data / "test.npz") as test:
            assert list(test.keys()) == ["images"] and test["images"].shape == (10_000, 28, 28)
        with np.load(data / "train.npz") as train:
            assert train["images"].shape == (60_000, 28, 28) and set(np.unique(train["labels"])) == set(range(10))
    finally:
        env.close()


def test_idx_reader_matches_the_published_first_labels() -> None:
    if not DEBIAN_DIR.is_dir():
        pytest.skip("Debian's dataset-fashion-mnist is not installed (scripts/setup-data.sh)")
    splits = _load_prepare_module().load_idx(DEBIAN_DIR)
    # Zalando's README: the first training labels are 9 0 0 3 0 2 7 2 5 5; the first test label is 9.
    assert splits["train"][1][:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert splits["test"][1][0] == 9


def test_hugging_face_path_converts_images(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without idx files the loader uses `datasets`; a stand-in checks the conversion (CI is offline)."""
    rng = np.random.default_rng(0)
    fake = {split: {"image": [rng.integers(0, 256, (28, 28), dtype=np.uint8) for _ in range(3)],
                    "label": [1, 2, 3]} for split in ("train", "test")}
    calls = []

    def load_dataset(name: str, split: str):
        calls.append((name, split))
        return fake[split]

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    monkeypatch.setenv("FASHION_MNIST_DIR", "/nonexistent")
    prepare = _load_prepare_module()
    monkeypatch.setattr(prepare, "DEBIAN_DIR", Path("/nonexistent"))
    splits, source = prepare.load()
    assert "Hugging Face" in source and calls == [(prepare.HF_DATASET, "train"), (prepare.HF_DATASET, "test")]
    images, labels = splits["train"]
    assert images.dtype == np.uint8 and images.shape == (3, 28, 28) and labels.tolist() == [1, 2, 3]
    assert np.array_equal(images[0], fake["train"]["image"][0])


def _submission(rows: int = 10_000, header: str = "id,label", label: str = "0", first_id: int = 0):
    def write(ws: Path) -> None:
        lines = [header] + [f"{first_id + i},{label}" for i in range(rows)]
        (ws / "submission.csv").write_text("\n".join(lines) + "\n")
    return write


@pytest.mark.parametrize("breakage, reason", [
    (lambda ws: None, "submission.csv not found"),
    (_submission(header="Id,Label"), "must have exactly the columns id,label; found Id,Label"),
    (_submission(rows=9_999), "has 9999 rows; the test set has 10000 images"),
    (_submission(label=""), "is not a class number 0-9"),
    (_submission(label="10"), "label '10' (id 0) is not a class number 0-9"),
    (_submission(label="shirt"), "label 'shirt' (id 0) is not a class number 0-9"),
    (_submission(first_id=1), "the ids must be the test image indices 0-9999, each once"),
])
def test_invalid_submission(breakage, reason: str) -> None:
    assert_invalid(TASK, breakage, reason)
