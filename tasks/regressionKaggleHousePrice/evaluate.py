"""Scores ``submission.csv`` (current folder) against the hidden test prices.

Prints one JSON object: {"r2": coefficient of determination, "rmse": root mean squared error in
dollars}. The submission needs exactly the columns Id and SalePrice, one finite number per test Id.
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
        fail("MLGYM_PRIVATE_DATA is not set: the test prices are only available to `validate`/`submit`")
    return pd.read_csv(Path(private) / "answer.csv")


def load_submission(path: Path, answers: pd.DataFrame) -> np.ndarray:
    """Predicted prices in the order of ``answers``, after checking the file's shape and contents."""
    if not path.is_file():
        fail(f"{path.name} not found in {path.parent}; write predictions for data/test.csv there")
    try:
        sub = pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001 - an unreadable file is the submission's fault
        fail(f"cannot read {path.name} as CSV: {type(exc).__name__}: {exc}")
    if list(sub.columns) != ["Id", "SalePrice"]:
        fail(f"{path.name} must have exactly the columns Id,SalePrice; found {','.join(map(str, sub.columns))}")
    if len(sub) != len(answers):
        fail(f"{path.name} has {len(sub)} rows; the test set has {len(answers)}")
    if sub["Id"].duplicated().any():
        fail(f"{path.name} repeats Id {sub.loc[sub['Id'].duplicated(), 'Id'].iloc[0]}")
    unknown = set(sub["Id"]) - set(answers["Id"])
    if unknown:
        fail(f"{path.name} has Ids that are not in the test set, e.g. {sorted(map(str, unknown))[0]}")
    prices = pd.to_numeric(sub["SalePrice"], errors="coerce")
    if prices.isna().any() or not np.isfinite(prices).all():
        bad = sub.loc[prices.isna() | ~np.isfinite(prices.fillna(0)), "Id"].iloc[0]
        fail(f"{path.name} has a missing or non-numeric SalePrice (Id {bad})")
    return prices.set_axis(sub["Id"]).loc[answers["Id"]].to_numpy(dtype=float)


def main() -> None:
    answers = load_answers()
    predicted = load_submission(Path.cwd() / "submission.csv", answers)
    actual = answers["SalePrice"].to_numpy(dtype=float)
    residual = actual - predicted
    r2 = 1.0 - float(residual @ residual) / float(((actual - actual.mean()) ** 2).sum())
    rmse = float(np.sqrt(np.mean(residual**2)))
    print(json.dumps({"r2": round(r2, 6), "rmse": round(rmse, 2)}))


if __name__ == "__main__":
    main()
