"""Baseline for imageCaptioningCOCO: a small CNN encoder and a GRU decoder trained from scratch.

Reads data/train_images.npy + data/train_captions.json, captions data/test_images.npy greedily and writes
submission.csv (columns image_id, caption; one row per id in data/test_ids.json).

Settings: the constants below are the `offline` profile (2 CPU cores, a few minutes). The `full` profile
(MS-COCO on a GPU host) overrides them with FULL. The profile is MLGYM_PROFILE when set, else the one named
in data/meta.json; `smoke` trains a few batches only, to check the pipeline.
"""

from __future__ import annotations

import csv
import json
import os
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 0
EPOCHS = 5
BATCH_SIZE = 64
LEARNING_RATE = 0.003
WIDTH = 16
EMBED = 128
HIDDEN = 256
MIN_COUNT = 2
MAX_LEN = 24
FULL = {"EPOCHS": 15, "BATCH_SIZE": 128, "WIDTH": 64, "EMBED": 256, "HIDDEN": 512, "MIN_COUNT": 5}
SMOKE = {"EPOCHS": 1, "MAX_BATCHES": 3}
MAX_BATCHES = None

DATA = Path("data")
PAD, BOS, EOS, UNK = 0, 1, 2, 3


def profile() -> str:
    name = os.environ.get("MLGYM_PROFILE")
    if not name and (DATA / "meta.json").is_file():
        name = json.loads((DATA / "meta.json").read_text()).get("profile")
    return name or "offline"


def tokenize(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


class Captioner(nn.Module):
    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        w = WIDTH
        self.encoder = nn.Sequential(
            nn.Conv2d(3, w, 3, stride=2, padding=1), nn.BatchNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, 2 * w, 3, stride=2, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.Conv2d(2 * w, 4 * w, 3, stride=2, padding=1), nn.BatchNorm2d(4 * w), nn.ReLU(),
            nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(4 * w * 16, HIDDEN), nn.Tanh(),
        )
        self.embed = nn.Embedding(vocab_size, EMBED, padding_idx=PAD)
        self.gru = nn.GRU(EMBED, HIDDEN, batch_first=True)
        self.out = nn.Linear(HIDDEN, vocab_size)

    def forward(self, images: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        h0 = self.encoder(images).unsqueeze(0)
        y, _ = self.gru(self.embed(tokens), h0)
        return self.out(y)

    @torch.no_grad()
    def generate(self, images: torch.Tensor, max_len: int) -> list[list[int]]:
        h = self.encoder(images).unsqueeze(0)
        token = torch.full((len(images), 1), BOS, dtype=torch.long, device=images.device)
        result = []
        for _ in range(max_len):
            y, h = self.gru(self.embed(token), h)
            token = self.out(y[:, -1]).argmax(-1, keepdim=True)
            result.append(token)
        return torch.cat(result, 1).tolist()


def to_tensor(images: np.ndarray) -> torch.Tensor:
    return (torch.from_numpy(np.array(images)).permute(0, 3, 1, 2).float() / 255.0 - 0.5) / 0.25


def main() -> None:
    prof = profile()
    globals().update(FULL if prof == "full" else SMOKE if prof == "smoke" else {})
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    # The full data set may not fit in memory: map it from disk there; the offline one is small.
    train_images = np.load(DATA / "train_images.npy", mmap_mode="r" if prof == "full" else None)
    train_captions = json.loads((DATA / "train_captions.json").read_text())
    test_images = np.load(DATA / "test_images.npy", mmap_mode="r")
    test_ids = json.loads((DATA / "test_ids.json").read_text())

    counts = Counter(w for caps in train_captions for c in caps for w in tokenize(c))
    words = ["<pad>", "<bos>", "<eos>", "<unk>"] + sorted(w for w, n in counts.items() if n >= MIN_COUNT)
    index = {w: i for i, w in enumerate(words)}
    print(f"profile {prof}, device {device}, {len(train_images)} training images, vocabulary {len(words)}")

    def encode(caption: str) -> list[int]:
        return [BOS] + [index.get(w, UNK) for w in tokenize(caption)][: MAX_LEN - 2] + [EOS]

    model = Captioner(len(words)).to(device)
    batches_per_epoch = (len(train_images) + BATCH_SIZE - 1) // BATCH_SIZE
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LEARNING_RATE,
                                                   total_steps=EPOCHS * batches_per_epoch)
    start = time.time()
    for epoch in range(EPOCHS):
        model.train()
        order = rng.permutation(len(train_images))
        loss_sum, count = 0.0, 0
        for b in range(batches_per_epoch):
            if MAX_BATCHES is not None and b >= MAX_BATCHES:
                break
            idx = np.sort(order[b * BATCH_SIZE : (b + 1) * BATCH_SIZE])
            # Each epoch pairs every image with one of its captions, drawn at random.
            seqs = [encode(train_captions[i][rng.integers(len(train_captions[i]))]) for i in idx]
            tokens = torch.zeros(len(seqs), max(map(len, seqs)), dtype=torch.long)
            for j, s in enumerate(seqs):
                tokens[j, : len(s)] = torch.tensor(s)
            images, tokens = to_tensor(train_images[idx]).to(device), tokens.to(device)
            logits = model(images, tokens[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, len(words)), tokens[:, 1:].reshape(-1), ignore_index=PAD)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            loss_sum += loss.item()
            count += 1
        print(f"epoch {epoch + 1}/{EPOCHS}: loss {loss_sum / count:.4f} ({time.time() - start:.0f} s)", flush=True)

    model.eval()
    rows = []
    for i in range(0, len(test_images), 500):
        for image_id, seq in zip(test_ids[i : i + 500],
                                 model.generate(to_tensor(test_images[i : i + 500]).to(device), MAX_LEN),
                                 strict=True):
            seq = seq[: seq.index(EOS)] if EOS in seq else seq
            rows.append((image_id, " ".join(words[t] for t in seq if t > UNK)))
    with open("submission.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["image_id", "caption"])
        writer.writerows(rows)
    print(f"wrote submission.csv ({len(rows)} captions), e.g. {rows[0][1]!r}")


if __name__ == "__main__":
    main()
