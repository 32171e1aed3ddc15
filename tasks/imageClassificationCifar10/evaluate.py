"""Scores submission.csv against the private test labels; prints {"accuracy": ...}.

Runs with the workspace as its current folder; the labels are in $MLGYM_PRIVATE_DATA/test_labels.npy.
An invalid submission exits 1 with the reason on stderr.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import numpy as np

NUM_CLASSES = 10


def fail(reason: str) -> None:
    """Exit 1 with the reason as the last line of stderr (only that line, cut short, reaches the agent)."""
    print(f"invalid submission: {' '.join(reason.split())}"[:290], file=sys.stderr)
    sys.exit(1)


def read_submission(path: Path, expected: int) -> np.ndarray:
    if not path.is_file():
        fail(f"{path.name} not found in the workspace (run the training script to write it)")
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    if not rows or [c.strip() for c in rows[0]] != ["label"]:
        fail(f"{path.name} must start with the header line 'label'")
    body = [r for r in rows[1:] if r]
    if len(body) != expected:
        fail(f"{path.name} has {len(body)} predictions, expected {expected} (one per test image, in order)")
    labels = np.empty(expected, dtype=np.int64)
    for i, row in enumerate(body):
        try:
            labels[i] = int(row[0])
        except ValueError:
            fail(f"{path.name} line {i + 2}: {row[0]!r} is not an integer class")
        if not 0 <= labels[i] < NUM_CLASSES:
            fail(f"{path.name} line {i + 2}: class {labels[i]} is outside 0-{NUM_CLASSES - 1}")
    return labels


def main() -> None:
    private = Path(os.environ.get("MLGYM_PRIVATE_DATA", ""))
    truth_path = private / "test_labels.npy"
    if not truth_path.is_file():
        print(f"evaluation error: test labels not found at {truth_path}", file=sys.stderr)
        sys.exit(2)
    truth = np.load(truth_path)
    predicted = read_submission(Path.cwd() / "submission.csv", len(truth))
    print(json.dumps({"accuracy": round(float((predicted == truth).mean()), 6)}))


if __name__ == "__main__":
    main()
