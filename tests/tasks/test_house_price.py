"""regressionKaggleHousePrice: real Ames data with Kaggle columns, baseline score, invalid submissions."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlgym_tui.core.env import ResearchEnv
from tests.tasks.common import assert_invalid, run_baseline, validate_broken

TASK = "regressionKaggleHousePrice"


def test_baseline_reproduces_recorded_score(tmp_path: Path) -> None:
    result = run_baseline(TASK, tmp_path)
    assert 15_000 < result["submission"]["metrics"]["rmse"] < 30_000


def test_workspace_has_kaggle_columns_and_no_test_prices() -> None:
    env = ResearchEnv(TASK)
    try:
        env.reset(seed=0)
        data = Path(env.runtime.workspace) / "data"
        header = (data / "train.csv").read_text().splitlines()[0].split(",")
        assert header[:3] == ["Id", "MSSubClass", "MSZoning"] and header[-1] == "SalePrice"
        assert {"GrLivArea", "1stFlrSF", "3SsnPorch", "YearRemodAdd"} <= set(header) and len(header) == 81
        test_header = (data / "test.csv").read_text().splitlines()[0].split(",")
        assert "SalePrice" not in test_header and len(test_header) == 80
        rows = sum(len((data / f).read_text().splitlines()) - 1 for f in ("train.csv", "validation.csv", "test.csv"))
        assert rows == 2930
        assert sorted(p.name for p in data.iterdir()) == ["test.csv", "train.csv", "validation.csv"]
    finally:
        env.close()


def _submission(rows: int = 586, header: str = "Id,SalePrice", value: str = "180000", first_id: int = 2345):
    def write(ws: Path) -> None:
        lines = [header] + [f"{first_id + i},{value}" for i in range(rows)]
        (ws / "submission.csv").write_text("\n".join(lines) + "\n")
    return write


@pytest.mark.parametrize("breakage, reason", [
    (lambda ws: None, "submission.csv not found"),
    (_submission(header="Id,Price"), "must have exactly the columns Id,SalePrice; found Id,Price"),
    (_submission(rows=585), "has 585 rows; the test set has 586"),
    (_submission(value=""), "missing or non-numeric SalePrice"),
    (_submission(value="nan"), "missing or non-numeric SalePrice"),
    (_submission(value="inf"), "missing or non-numeric SalePrice"),
    (_submission(first_id=1), "Ids that are not in the test set"),
    (lambda ws: (ws / "submission.csv").write_bytes(b"\x00\xff\xfe"), "cannot read submission.csv as CSV"),
])
def test_invalid_submission(breakage, reason: str) -> None:
    assert_invalid(TASK, breakage, reason)


def test_a_constant_prediction_is_valid_but_poor() -> None:
    obs, evaluation = validate_broken(TASK, _submission())
    assert evaluation["valid"] and evaluation["score"] < 0.01, obs
    assert "worse than the baseline" in obs
