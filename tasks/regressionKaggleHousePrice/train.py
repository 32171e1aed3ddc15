"""Baseline house-price model: gradient-boosted trees on log prices.

Reads data/train.csv and data/validation.csv, reports validation r2 and RMSE, then fits on both and writes
submission.csv (columns Id, SalePrice) for data/test.csv. Runs in a few seconds on a laptop CPU.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.metrics import r2_score, root_mean_squared_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

N_ESTIMATORS = 150
LEARNING_RATE = 0.1
MAX_DEPTH = 3
SEED = 0


def make_model(features: pd.DataFrame):
    numeric = features.select_dtypes("number").columns.tolist()
    categorical = [c for c in features.columns if c not in numeric]
    prepare = ColumnTransformer([
        ("numeric", SimpleImputer(strategy="median"), numeric),
        ("categorical", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                                      OneHotEncoder(handle_unknown="ignore")), categorical),
    ])
    trees = GradientBoostingRegressor(n_estimators=N_ESTIMATORS, learning_rate=LEARNING_RATE,
                                      max_depth=MAX_DEPTH, random_state=SEED)
    return make_pipeline(prepare, trees)


def split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    return frame.drop(columns=["Id", "SalePrice"]), np.log(frame["SalePrice"])


def main() -> None:
    train = pd.read_csv("data/train.csv")
    validation = pd.read_csv("data/validation.csv")
    test = pd.read_csv("data/test.csv")

    x_train, y_train = split(train)
    x_val, y_val = split(validation)
    model = make_model(x_train).fit(x_train, y_train)
    predicted = np.exp(model.predict(x_val))
    print(f"validation r2 {r2_score(validation['SalePrice'], predicted):.4f}, "
          f"rmse {root_mean_squared_error(validation['SalePrice'], predicted):,.0f}")

    both = pd.concat([train, validation], ignore_index=True)
    x_all, y_all = split(both)
    model = make_model(x_all).fit(x_all, y_all)
    prices = np.exp(model.predict(test.drop(columns=["Id"])))
    pd.DataFrame({"Id": test["Id"], "SalePrice": prices}).to_csv("submission.csv", index=False)
    print(f"wrote submission.csv ({len(test)} predictions)")


if __name__ == "__main__":
    main()
