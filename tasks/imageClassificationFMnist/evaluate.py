"""Scores ``submission.csv`` (current folder) against the hidden Fashion-MNIST test labels.

Prints one JSON object: {"accuracy": fraction of the 10,000 test images classified correctly}. The
submission needs exactly the columns id,label: every test id 0-9999 once, each label an integer 0-9.
Anything else exits 1 with the reason on stderr.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def fail(message: str) -> None:
    sys.exit(f"evaluation: {message}")


def load_answers() -> pd.DataFrame:
    private = os.environ.get("MLGYM_PRIVATE_DATA")
    if not private:
        fail("MLGYM_PRIVATE_DATA is not set: the test labels are only available to `validate`/`submit`")
    return pd.read_csv(Path(private) / "answer.csv")


def load_submission(path: Path, answers: pd.DataFrame) -> np.ndarray:
    """Predicted labels in the order of ``answers``, after checking the file's shape and contents."""
    if not path.is_file():
        fail(f"{path.name} not found in {path.parent}; write a label for each image of data/test.npz there")
    try:
        sub = pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001 - an unreadable file is the submission's fault
        fail(f"cannot read {path.name} as CSV: {type(exc).__name__}: {exc}")
    if list(sub.columns) != ["id", "label"]:
        fail(f"{path.name} must have exactly the columns id,label; found {','.join(map(str, sub.columns))}")
    if len(sub) != len(answers):
        fail(f"{path.name} has {len(sub)} rows; the test set has {len(answers)} images")
    ids = pd.to_numeric(sub["id"], errors="coerce")
    if ids.isna().any() or set(ids) != set(answers["id"]):
        fail(f"{path.name}: the ids must be the test image indices 0-{len(answers) - 1}, each once")
    labels = pd.to_numeric(sub["label"], errors="coerce")
    bad = labels.isna() | ~labels.isin(range(10))
    if bad.any():
        fail(f"{path.name}: label {str(sub.loc[bad, 'label'].iloc[0])!r} (id {sub.loc[bad, 'id'].iloc[0]}) is "
             f"not a class number 0-9")
    return labels.set_axis(ids.astype(int)).loc[answers["id"]].to_numpy(dtype=int)


def main() -> None:
    answers = load_answers()
    predicted = load_submission(Path.cwd() / "submission.csv", answers)
    accuracy = float(np.mean(predicted == answers["label"].to_numpy()))
    print(json.dumps({"accuracy": round(accuracy, 6)}))


if __name__ == "__main__":
    main()
