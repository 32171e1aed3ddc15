"""Baseline for naturalLanguageInferenceMNLI: a bag-of-embeddings sentence encoder and an MLP classifier.

Each sentence becomes the mean of its word embeddings (u for the premise, v for the hypothesis); the
classifier sees [u, v, |u - v|, u * v]. Word order is lost, so negation scope and the direction of a
hypernym step are only partly visible to it: much room for improvement. Trains on data/train.jsonl and
writes submission.csv (header `label`, then 0/1/2 for each line of data/validation.jsonl, in order).

Settings: the constants below are the `offline` profile (2 CPU cores, about a minute); FULL overrides them
for the `full` profile (MultiNLI). The profile is MLGYM_PROFILE when set, else the one named in
data/meta.json; `smoke` trains a few batches only, to check the pipeline.
"""

from __future__ import annotations

import csv
import json
import os
import re
import time
from collections import Counter
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 0
EPOCHS = 8
BATCH_SIZE = 128
LEARNING_RATE = 0.002
EMBED = 128
HIDDEN = 256
MIN_COUNT = 1
FULL = {"EPOCHS": 5, "BATCH_SIZE": 256, "EMBED": 300, "HIDDEN": 512, "MIN_COUNT": 2}
SMOKE = {"EPOCHS": 1, "MAX_BATCHES": 3}
MAX_BATCHES = None

DATA = Path("data")
PAD, UNK = 0, 1


def profile() -> str:
    name = os.environ.get("MLGYM_PROFILE")
    if not name and (DATA / "meta.json").is_file():
        name = json.loads((DATA / "meta.json").read_text()).get("profile")
    return name or "offline"


def tokenize(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+|[^\sa-z0-9]", text.lower())


def read_jsonl(path: Path) -> list[dict]:
    with path.open() as f:
        return [json.loads(line) for line in f if line.strip()]


class BagOfEmbeddings(nn.Module):
    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, EMBED, padding_idx=PAD)
        self.classifier = nn.Sequential(
            nn.Linear(4 * EMBED, HIDDEN), nn.ReLU(), nn.Dropout(0.1), nn.Linear(HIDDEN, 3)
        )

    def encode(self, tokens: torch.Tensor) -> torch.Tensor:
        mask = (tokens != PAD).unsqueeze(-1).float()
        return (self.embed(tokens) * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def forward(self, premise: torch.Tensor, hypothesis: torch.Tensor) -> torch.Tensor:
        u, v = self.encode(premise), self.encode(hypothesis)
        return self.classifier(torch.cat([u, v, (u - v).abs(), u * v], dim=-1))


def main() -> None:
    prof = profile()
    globals().update(FULL if prof == "full" else SMOKE if prof == "smoke" else {})
    torch.manual_seed(SEED)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train = read_jsonl(DATA / "train.jsonl")
    validation = read_jsonl(DATA / "validation.jsonl")
    counts = Counter(w for row in train for key in ("premise", "hypothesis") for w in tokenize(row[key]))
    index = {w: i + 2 for i, w in enumerate(sorted(w for w, n in counts.items() if n >= MIN_COUNT))}
    print(f"profile {prof}, device {device}, {len(train)} training pairs, vocabulary {len(index) + 2}")

    def encode(rows: list[dict], key: str) -> torch.Tensor:
        seqs = [[index.get(w, UNK) for w in tokenize(row[key])][:128] or [UNK] for row in rows]
        out = torch.zeros(len(seqs), max(map(len, seqs)), dtype=torch.long)
        for i, s in enumerate(seqs):
            out[i, : len(s)] = torch.tensor(s)
        return out

    model = BagOfEmbeddings(len(index) + 2).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=1e-4)
    generator = torch.Generator().manual_seed(SEED)
    labels = torch.tensor([row["label"] for row in train])
    start = time.time()
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(train), generator=generator)
        loss_sum, correct, seen = 0.0, 0, 0
        for b, i in enumerate(range(0, len(order), BATCH_SIZE)):
            if MAX_BATCHES is not None and b >= MAX_BATCHES:
                break
            idx = order[i : i + BATCH_SIZE].tolist()
            rows = [train[j] for j in idx]
            p, h = encode(rows, "premise").to(device), encode(rows, "hypothesis").to(device)
            y = labels[idx].to(device)
            logits = model(p, h)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
        print(f"epoch {epoch + 1}/{EPOCHS}: loss {loss_sum / seen:.4f}, train accuracy {correct / seen:.4f} "
              f"({time.time() - start:.0f} s)", flush=True)

    model.eval()
    predictions: list[int] = []
    with torch.no_grad():
        for i in range(0, len(validation), 1000):
            rows = validation[i : i + 1000]
            logits = model(encode(rows, "premise").to(device), encode(rows, "hypothesis").to(device))
            predictions += logits.argmax(1).tolist()
    with open("submission.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["label"])
        writer.writerows([p] for p in predictions)
    print(f"wrote submission.csv ({len(predictions)} predictions)")


if __name__ == "__main__":
    main()
