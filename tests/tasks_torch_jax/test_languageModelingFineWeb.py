"""languageModelingFineWeb: the offline pipeline (Jane Austen, GPT-2 BPE, FineWeb shard format) end to end,
the real FineWeb loader on tiny local shards, invalid submissions, and (nightly) the full baseline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.tasks.common import run_baseline
from tests.tasks_torch_jax.support import assert_invalid_cases, pipeline, prepare_full, run_task_python

TASK = "languageModelingFineWeb"
pytestmark = pytest.mark.xdist_group("torch-tasks")


def write_shard(path: Path, tokens: np.ndarray) -> None:
    """A shard as modded-nanogpt's fineweb.py writes them: 256 int32 header, then uint16 tokens."""
    header = np.zeros(256, dtype="<i4")
    header[0], header[1], header[2] = 20240520, 1, len(tokens)
    path.write_bytes(header.tobytes() + tokens.astype("<u2").tobytes())


def read_shard(path: Path) -> np.ndarray:
    header = np.frombuffer(path.read_bytes()[:1024], dtype="<i4")
    assert header[0] == 20240520 and header[1] == 1
    tokens = np.frombuffer(path.read_bytes()[1024:], dtype="<u2")
    assert len(tokens) == header[2]
    return tokens


def test_smoke_training_writes_a_model_the_evaluation_scores(tmp_path: Path) -> None:
    def first_tokens(private: Path) -> Path:
        """The first 4,096 held-out tokens: the full 84k take the CPU minutes to score."""
        write_shard(tmp_path / "fineweb_val_000000.bin", read_shard(private / "fineweb_val_000000.bin")[:4096])
        shutil.copyfile(private / "meta.json", tmp_path / "meta.json")
        return tmp_path

    obs, evaluation = pipeline(TASK, ["MLGYM_PROFILE=smoke python train.py"], private=first_tokens)
    assert evaluation["valid"], obs
    # A model trained for three steps is barely better than uniform over 50,257 tokens (ln = 10.82).
    assert 8.0 < evaluation["metrics"]["val_loss"] < 11.5


def test_full_loader_reads_fineweb_shards(tmp_path: Path) -> None:
    shards = tmp_path / "fineweb10B"
    shards.mkdir()
    rng = np.random.default_rng(0)
    train = [rng.integers(0, 50257, 3000) for _ in range(3)]
    for i, tokens in enumerate(train, start=1):
        write_shard(shards / f"fineweb_train_{i:06d}.bin", tokens)
    val = rng.integers(0, 50257, 5000)
    write_shard(shards / "fineweb_val_000000.bin", val)
    out = tmp_path / "prepared"
    proc = prepare_full(TASK, out, {"FINEWEB_DIR": str(shards), "FINEWEB_TRAIN_SHARDS": "2",
                                    "FINEWEB_VAL_TOKENS": "1200"}, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    public = sorted(p.name for p in (out / "public").iterdir())
    assert public == ["fineweb_dev_000000.bin", "fineweb_train_000001.bin", "fineweb_train_000002.bin", "meta.json"]
    assert np.array_equal(read_shard(out / "public" / "fineweb_train_000002.bin"), train[1])
    assert np.array_equal(read_shard(out / "private" / "fineweb_val_000000.bin"), val[:1200])
    assert np.array_equal(read_shard(out / "public" / "fineweb_dev_000000.bin"), val[1200:])
    meta = json.loads((out / "public" / "meta.json").read_text())
    assert meta["profile"] == "full" and meta["eval_seq_len"] == 1024 and meta["tokens"]["train"] == 6000


def test_full_loader_rejects_a_file_that_is_not_a_shard(tmp_path: Path) -> None:
    shards = tmp_path / "fineweb10B"
    shards.mkdir()
    (shards / "fineweb_train_000001.bin").write_bytes(b"\0" * 2048)
    write_shard(shards / "fineweb_val_000000.bin", np.arange(10))
    proc = prepare_full(TASK, tmp_path / "prepared", {"FINEWEB_DIR": str(shards)}, tmp_path)
    assert proc.returncode != 0 and "not a FineWeb token shard" in proc.stderr


def test_full_loader_without_a_local_copy_or_the_hub_fails_clearly(tmp_path: Path) -> None:
    proc = prepare_full(TASK, tmp_path / "prepared", {"FINEWEB_REPO": "nobody/no-such-shards"}, tmp_path)
    assert proc.returncode != 0 and "cannot download FineWeb shards" in proc.stderr and "FINEWEB_DIR" in proc.stderr


def _write(name: str, text: str):
    return lambda ws: (ws / name).write_text(text)


def _torch(code: str):
    """A breakage that needs torch: run ``code`` with the task's python in the workspace."""
    def breakage(ws: Path) -> None:
        proc = run_task_python(TASK, ["-c", code], cwd=ws)
        assert proc.returncode == 0, proc.stderr
    return breakage


TINY_MODEL = '''
import torch
class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(50257, 4)
    def forward(self, idx):
        return self.emb(idx)
def build_model():
    return Tiny()
'''


def test_invalid_submissions_are_rejected_with_a_reason() -> None:
    assert_invalid_cases(TASK, [
        (lambda ws: None, "model.pt not found"),
        (_write("model.py", TINY_MODEL), "model.pt not found"),
        (_torch("import torch; torch.save({'emb.weight': torch.zeros(50257, 4)}, 'model.pt')"),
         "must return logits of shape (4, 256, 50257), got (4, 256, 4)"),
        (_write("model.py", "raise ValueError('no model today')\n"), "importing model.py failed: ValueError"),
        (_write("model.py", "def other():\n    pass\n"), "does not define a function build_model"),
        (_write("model.py", TINY_MODEL.replace("(50257, 4)", "(50257, 8)")), "loading model.pt into it failed"),
    ])


@pytest.mark.nightly
def test_baseline_reproduces_recorded_score(tmp_path: Path) -> None:
    run_baseline(TASK, tmp_path, timeout=1800)
