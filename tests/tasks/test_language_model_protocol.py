"""languageModelingFineWeb's judge, with stand-in players written in numpy (no torch): the scoring and
audit protocol itself. An honest causal model scores exactly its loss; a player that reads later tokens,
one that remembers the windows for the audit, one that inflates some claims and one that inflates
every claim a little are all invalid.

The judge runs by hand here (``python evaluate.py`` in a folder with data/), so its player slots are
processes it starts itself; tests/core/test_fresh_player.py covers the slots mlgym-tui starts in the
sandbox, tests/security/test_language_model.py the real player with torch models."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mlgym_tui.task_lib import TASK_LIB

TASK = Path(__file__).resolve().parents[2] / "tasks" / "languageModelingFineWeb"
V = 50257
SEQ = 64

# Stand-in players: the same requests and replies as the task's player.py. The "model" is a smoothed
# successor rule (next = current + 1 mod 1000) over a fixed table; MODE in model.py picks a behaviour.
PLAYER = r'''
import json, pathlib
import numpy as np
from mlgym_channel import claim_stdout, serve
claim_stdout()
V = 50257
MODE = pathlib.Path("model.py").read_text().strip()
seen = []

def honest(ids):
    """(B, T) ids -> (B, T, V) log-probabilities: 90 % on current + 1 mod 1000, the rest uniform."""
    lp = np.full((*ids.shape, V), np.log(0.1 / V), dtype=np.float32)
    np.put_along_axis(lp, ((ids + 1) % 1000)[..., None], np.float32(np.log(0.9 + 0.1 / V)), axis=-1)
    return lp

def peeked(ids):
    lp = honest(ids)
    lp[:, :-1, :] = np.log(0.1 / V)
    np.put_along_axis(lp[:, :-1, :], ids[:, 1:, None], np.float32(np.log(0.9 + 0.1 / V)), axis=-1)
    return lp

def handle(request):
    if request["op"] == "load":
        return {}
    ids = np.asarray(request["tokens"], dtype=np.int64)
    if request["op"] == "score":
        inputs, targets = ids[:, :-1], ids[:, 1:]
        lp = peeked(ids)[:, :-1] if MODE == "peek" else honest(inputs)
        claims = np.take_along_axis(lp, targets[..., None], axis=-1)[..., 0]
        if MODE == "memory":
            seen.extend(map(tuple, ids.tolist()))
            claims = np.take_along_axis(peeked(ids)[:, :-1], targets[..., None], axis=-1)[..., 0]
        if MODE == "inflate-some":
            claims = claims.copy()
            claims[:, ::4] = 0.0  # a quarter of the positions claimed certain
        if MODE == "inflate-all":
            claims = claims + 0.01
        if MODE == "positive":
            claims = claims * 0 + 0.5
        if MODE == "shape":
            claims = claims[:, :-1]
        return {"logp": claims.astype(np.float32)}
    lp = honest(ids)[:, -1, :]
    if MODE in ("peek", "memory"):
        for row, prefix in enumerate(ids.tolist()):  # from memory, if this process saw the window
            for window in seen:
                if list(window[: len(prefix)]) == prefix:
                    lp[row] = np.log(0.1 / V)
                    lp[row, window[len(prefix)]] = np.log(0.9 + 0.1 / V)
    return {"logp": lp}

serve(handle)
'''


def tokens(n: int, seed: int = 0) -> np.ndarray:
    """Mostly the successor rule, one token in five random: a causal model is good but not perfect."""
    rng = np.random.default_rng(seed)
    out = np.empty(n, dtype=np.int64)
    out[0] = 50256
    for i in range(1, n):
        out[i] = (out[i - 1] + 1) % 1000 if rng.random() < 0.8 else rng.integers(0, V)
    return out


def honest_loss(toks: np.ndarray) -> float:
    """The loss the honest stand-in must score, computed here from the definition."""
    n = (len(toks) - 1) // SEQ
    inputs, targets = toks[: n * SEQ].reshape(n, SEQ), toks[1 : n * SEQ + 1].reshape(n, SEQ)
    hit = targets == (inputs + 1) % 1000
    p_hit, p_miss = np.float32(np.log(0.9 + 0.1 / V)), np.float32(np.log(0.1 / V))
    return float(-np.where(hit, p_hit, p_miss).astype(np.float64).mean())


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "data").mkdir(parents=True)
    shutil.copy(TASK / "evaluate.py", ws / "evaluate.py")
    (ws / "player.py").write_text(PLAYER)
    (ws / "model.pt").write_bytes(b"weights")
    toks = tokens(40 * SEQ + 1)
    header = np.zeros(256, dtype="<i4")
    header[:3] = 20240520, 1, len(toks)
    (ws / "data" / "fineweb_dev_000000.bin").write_bytes(header.tobytes() + toks.astype("<u2").tobytes())
    (ws / "data" / "meta.json").write_text(json.dumps({"eval_seq_len": SEQ}))
    return ws


def judge(ws: Path, mode: str) -> subprocess.CompletedProcess[str]:
    (ws / "model.py").write_text(mode)
    return subprocess.run([sys.executable, "evaluate.py"], cwd=ws, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(TASK_LIB), "HOME": str(ws)})


def test_an_honest_causal_model_scores_its_exact_loss(workspace: Path) -> None:
    proc = judge(workspace, "honest")
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads(proc.stdout)
    toks = np.frombuffer((workspace / "data" / "fineweb_dev_000000.bin").read_bytes()[1024:], "<u2").astype(np.int64)
    assert metrics["val_loss"] == pytest.approx(honest_loss(toks), abs=2e-6)
    assert metrics["val_perplexity"] == pytest.approx(math.exp(metrics["val_loss"]), rel=1e-4)


@pytest.mark.parametrize(("mode", "reason"), [
    ("peek", "the model must not look at later tokens"),
    ("memory", "the model must not look at later tokens"),
    ("inflate-some", "audited positions differ by more than 0.2 nats"),
    ("inflate-all", "mean excess 0.0100"),
    ("positive", "log-probabilities above 0"),
    ("shape", "not a float array of shape (4, 64)"),
])
def test_claims_the_model_cannot_back_without_the_next_token_are_invalid(
        workspace: Path, mode: str, reason: str) -> None:
    proc = judge(workspace, mode)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert proc.stdout == "", proc.stdout
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("invalid submission:") and reason in last, last
