"""Scores submission.csv against the private validation labels; prints {"validation_accuracy": ...}.

Labels: 0 entailment, 1 neutral, 2 contradiction, one per line of data/validation.jsonl, in order.
Runs with the workspace as its current folder; the labels are in
$MLGYM_PRIVATE_DATA/validation_labels.json. An invalid submission exits 1 with the reason on stderr.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path


def fail(reason: str) -> None:
    """Exit 1 with the reason as the last line of stderr (only that line, cut short, reaches the agent)."""
    print(f"invalid submission: {' '.join(reason.split())}"[:290], file=sys.stderr)
    sys.exit(1)


def read_submission(path: Path, expected: int) -> list[int]:
    if not path.is_file():
        fail(f"{path.name} not found in the workspace (run the training script to write it)")
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    if not rows or [c.strip() for c in rows[0]] != ["label"]:
        fail(f"{path.name} must start with the header line 'label'")
    body = [r for r in rows[1:] if r]
    if len(body) != expected:
        fail(f"{path.name} has {len(body)} predictions, expected {expected} (one per line of "
             "data/validation.jsonl, in order)")
    labels = []
    for line, row in enumerate(body, start=2):
        value = row[0].strip()
        if value not in ("0", "1", "2"):
            fail(f"{path.name} line {line}: {value!r} is not a label (0 entailment, 1 neutral, 2 contradiction)")
        labels.append(int(value))
    return labels


def main() -> None:
    truth_path = Path(os.environ.get("MLGYM_PRIVATE_DATA", "")) / "validation_labels.json"
    if not truth_path.is_file():
        print(f"evaluation error: validation labels not found at {truth_path}", file=sys.stderr)
        sys.exit(2)
    truth = json.loads(truth_path.read_text())
    predicted = read_submission(Path.cwd() / "submission.csv", len(truth))
    correct = sum(p == t for p, t in zip(predicted, truth, strict=True))
    print(json.dumps({"validation_accuracy": round(correct / len(truth), 6)}))


if __name__ == "__main__":
    main()
