"""Baseline training for languageModelingFineWeb: next-token prediction on the token shards in data/.

Trains the model of model.py on data/fineweb_train_*.bin, reports the loss on data/fineweb_dev_000000.bin
and saves the weights to model.pt (a state_dict), which the evaluation loads into `build_model()`.

Settings: the constants below are the `offline` profile (2 CPU cores, a few minutes). FULL overrides them
for the `full` profile (FineWeb on a GPU host); `smoke` runs a few steps only. The profile is
MLGYM_PROFILE when set, else the one named in data/meta.json (see model.profile()).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch
from model import build_model, profile

SEED = 0
STEPS = 200
BATCH_SIZE = 8
SEQ_LEN = 256
LEARNING_RATE = 0.003
WARMUP = 20
WEIGHT_DECAY = 0.1
EVAL_BATCHES = 20
FULL = {"STEPS": 5000, "BATCH_SIZE": 32, "SEQ_LEN": 1024, "LEARNING_RATE": 0.0006, "WARMUP": 200}
SMOKE = {"STEPS": 3, "EVAL_BATCHES": 2}

HEADER_BYTES = 256 * 4


def load_tokens(pattern: str) -> np.ndarray:
    """All tokens of the shards matching ``pattern`` (header: 256 int32, magic 20240520; then uint16)."""
    parts = []
    for path in sorted(Path("data").glob(pattern)):
        header = np.fromfile(path, dtype="<i4", count=256)
        assert header[0] == 20240520 and header[1] == 1, f"{path}: not a token shard"
        parts.append(np.memmap(path, dtype="<u2", mode="r", offset=HEADER_BYTES, shape=(int(header[2]),)))
    if not parts:
        raise SystemExit(f"no data/{pattern} files")
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def batch(tokens: np.ndarray, rng: np.random.Generator, device: torch.device):
    starts = rng.integers(0, len(tokens) - SEQ_LEN - 1, BATCH_SIZE)
    chunk = torch.from_numpy(np.stack([tokens[s : s + SEQ_LEN + 1] for s in starts]).astype(np.int64))
    return chunk[:, :-1].to(device), chunk[:, 1:].to(device)


def main() -> None:
    prof = profile()
    globals().update(FULL if prof == "full" else SMOKE if prof == "smoke" else {})
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train, dev = load_tokens("fineweb_train_*.bin"), load_tokens("fineweb_dev_*.bin")
    model = build_model().to(device)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"profile {prof}, device {device}, {len(train):,} training tokens, {n_params / 1e6:.1f}M parameters")

    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": WEIGHT_DECAY}, {"params": no_decay, "weight_decay": 0.0}],
        lr=LEARNING_RATE, betas=(0.9, 0.95),
    )

    def lr_at(step: int) -> float:
        if step < WARMUP:
            return LEARNING_RATE * (step + 1) / WARMUP
        progress = (step - WARMUP) / max(1, STEPS - WARMUP)
        return LEARNING_RATE * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))

    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast(
        "cpu", enabled=False
    )
    start = time.time()
    model.train()
    for step in range(STEPS):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step)
        x, y = batch(train, rng, device)
        with autocast:
            loss = model.loss(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % 25 == 0 or step == STEPS - 1:
            print(f"step {step + 1}/{STEPS}: loss {loss.item():.4f} ({time.time() - start:.0f} s)", flush=True)

    model.eval()
    dev_rng = np.random.default_rng(1)
    with torch.no_grad(), autocast:
        losses = []
        for _ in range(EVAL_BATCHES):
            x, y = batch(dev, dev_rng, device)
            losses.append(model.loss(x, y).item())
    print(f"dev loss {np.mean(losses):.4f}")
    torch.save(model.state_dict(), "model.pt")
    print("saved model.pt")


if __name__ == "__main__":
    main()
