"""imageCaptioningCOCO: the offline stand-in pipeline end to end (quick), the real MS-COCO loader on a tiny
copy in the official layout, the BLEU scoring, invalid submissions, and (nightly) the full baseline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.tasks.common import run_baseline
from tests.tasks_torch_jax.support import assert_invalid_cases, make_fixture, pipeline, prepare_full

TASK = "imageCaptioningCOCO"
pytestmark = pytest.mark.xdist_group("torch-tasks")


def test_smoke_baseline_trains_captions_and_scores() -> None:
    obs, evaluation = pipeline(TASK, ["MLGYM_PROFILE=smoke python baseline.py"])
    assert evaluation["valid"], obs
    assert 0.0 <= evaluation["metrics"]["BLEU"] <= evaluation["metrics"]["BLEU-1"] <= 1.0


def test_one_template_caption_for_every_image_scores_low_but_above_zero() -> None:
    obs, evaluation = pipeline(TASK, [
        "python -c \"import csv, json; ids = json.load(open('data/test_ids.json'));"
        " w = csv.writer(open('submission.csv', 'w')); w.writerow(['image_id', 'caption']);"
        " w.writerows([i, 'a large red circle on a grey background'] for i in ids)\"",
    ])
    assert evaluation["valid"], obs
    assert 0.0 < evaluation["metrics"]["BLEU"] < 0.5


def test_full_loader_reads_the_official_coco_layout(tmp_path: Path) -> None:
    make_fixture(TASK, "coco.py", tmp_path)
    out = tmp_path / "prepared"
    proc = prepare_full(TASK, out, {"COCO_DIR": str(tmp_path / "coco"), "COCO_IMAGE_SIZE": "48"}, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = json.loads((tmp_path / "expected.json").read_text())
    public, private = out / "public", out / "private"
    assert np.load(public / "train_images.npy").shape == (3, 48, 48, 3)
    assert np.load(public / "test_images.npy").shape == (2, 48, 48, 3)
    assert json.loads((public / "train_captions.json").read_text()) == list(expected["train2017"].values())
    assert json.loads((public / "test_ids.json").read_text()) == [139, 285]
    assert json.loads((private / "test_references.json").read_text()) == expected["val2017"]
    assert not (public / "test_references.json").exists()
    meta = json.loads((public / "meta.json").read_text())
    assert meta["profile"] == "full" and meta["stand_in"] is False and meta["image_size"] == 48


def test_full_loader_without_coco_dir_fails_clearly(tmp_path: Path) -> None:
    proc = prepare_full(TASK, tmp_path / "prepared", {"COCO_DIR": ""}, tmp_path)
    assert proc.returncode != 0 and "set COCO_DIR" in proc.stderr


def _write(text: str):
    return lambda ws: (ws / "submission.csv").write_text(text)


def test_invalid_submissions_are_rejected_with_a_reason() -> None:
    assert_invalid_cases(TASK, [
        (lambda ws: None, "submission.csv not found"),
        (_write("id,text\n1,a cat\n"), "must have the columns image_id and caption"),
        (_write("image_id,caption\n1,a red circle\n"), "lacks captions for 999 test images"),
        (_write("image_id,caption\n1,a\n1,b\n"), "image 1 is captioned twice"),
        (_write("image_id,caption\n5000,a red circle\n"), "'5000' is not a test image id"),
    ])


@pytest.mark.nightly
def test_baseline_reproduces_recorded_score(tmp_path: Path) -> None:
    run_baseline(TASK, tmp_path, timeout=1800)
