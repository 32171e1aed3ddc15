"""Baseline for imageClassificationCifar10: a small convolutional network trained from scratch.

Reads data/train_images.npy and data/train_labels.npy, predicts data/test_images.npy and writes
submission.csv (a header `label`, then one predicted class 0-9 per test image, in order).

Settings: the constants below are the `offline` profile (2 CPU cores, a few minutes). The `full` profile
(the real CIFAR-10 on a GPU host) overrides them with FULL. The profile is MLGYM_PROFILE when set, else
the one named in data/meta.json; `smoke` runs a few batches only, to check the pipeline.
"""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 0
EPOCHS = 4
BATCH_SIZE = 128
LEARNING_RATE = 0.006
WEIGHT_DECAY = 0.0005
WIDTH = 24
FULL = {"EPOCHS": 30, "BATCH_SIZE": 256, "WIDTH": 96}
SMOKE = {"EPOCHS": 1, "MAX_BATCHES": 3}
MAX_BATCHES = None

DATA = Path("data")


def profile() -> str:
    name = os.environ.get("MLGYM_PROFILE")
    if not name and (DATA / "meta.json").is_file():
        name = json.loads((DATA / "meta.json").read_text()).get("profile")
    return name or "offline"


class Net(nn.Module):
    def __init__(self, width: int, num_classes: int = 10) -> None:
        super().__init__()
        w = width
        self.features = nn.Sequential(
            nn.Conv2d(3, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(),
            nn.MaxPool2d(2),                                               # 16x16
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.MaxPool2d(2),                                               # 8x8
            nn.Conv2d(2 * w, 4 * w, 3, padding=1), nn.BatchNorm2d(4 * w), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
        )
        self.head = nn.Linear(4 * w, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1))


def to_tensor(images: np.ndarray) -> torch.Tensor:
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float().div_(255.0)
    return (x - 0.5) / 0.25


def main() -> None:
    prof = profile()
    globals().update(FULL if prof == "full" else SMOKE if prof == "smoke" else {})
    torch.manual_seed(SEED)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_x = to_tensor(np.load(DATA / "train_images.npy"))
    train_y = torch.from_numpy(np.load(DATA / "train_labels.npy"))
    test_x = to_tensor(np.load(DATA / "test_images.npy"))
    print(f"profile {prof}, device {device}, {len(train_x)} training images, {len(test_x)} test images")

    model = Net(WIDTH).to(device)
    steps = EPOCHS * ((len(train_x) + BATCH_SIZE - 1) // BATCH_SIZE)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LEARNING_RATE, total_steps=steps)
    generator = torch.Generator().manual_seed(SEED)
    start = time.time()
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        total, correct, loss_sum = 0, 0, 0.0
        for b, i in enumerate(range(0, len(order), BATCH_SIZE)):
            if MAX_BATCHES is not None and b >= MAX_BATCHES:
                break
            idx = order[i : i + BATCH_SIZE]
            x, y = train_x[idx].to(device), train_y[idx].to(device)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            total += len(y)
        print(f"epoch {epoch + 1}/{EPOCHS}: loss {loss_sum / total:.4f}, train accuracy "
              f"{correct / total:.4f} ({time.time() - start:.0f} s)")

    model.eval()
    predictions = []
    with torch.no_grad():
        for i in range(0, len(test_x), 1000):
            predictions.append(model(test_x[i : i + 1000].to(device)).argmax(1).cpu())
    labels = torch.cat(predictions).tolist()
    with open("submission.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["label"])
        writer.writerows([label] for label in labels)
    print(f"wrote submission.csv ({len(labels)} predictions)")


if __name__ == "__main__":
    main()
