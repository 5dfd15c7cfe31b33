"""Leakage-prone duplicates: exact one-to-one recodings are dropped, look-alikes are kept."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from simulacra.engine import EngineInputError, clean_table
from simulacra.engine.checks.conditions import parse_conditions
from simulacra.engine.cleaning.duplicates import duplicate_columns

COUNTRIES = {"Germany": ("DE", 276), "France": ("FR", 250), "Spain": ("ES", 724), "Italy": ("IT", 380)}


def _clean(tmp_path: Path, frame: pd.DataFrame) -> dict:
    frame.to_csv(tmp_path / "seed.csv", index=False)
    return clean_table(str(tmp_path / "seed.csv"), str(tmp_path / "clean.parquet"))


def _frame(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    country = rng.choice(list(COUNTRIES), rows)
    age = rng.integers(18, 80, rows)
    frame = pd.DataFrame({"Country": country, "Age": age, "Spend": rng.normal(50, 10, rows).round(4)})
    frame["Country Code"] = [COUNTRIES[name][0] for name in country]
    frame["Country ID"] = [COUNTRIES[name][1] for name in country]
    # No two spends are equal: only the exact linear law shows the copy.
    frame["Spend Cents"] = (frame["Spend"] * 100).round(2)
    frame["Age Band"] = pd.cut(age, [0, 34, 54, 120], labels=["18-34", "35-54", "55+"]).astype(str)
    return frame


def test_recodings_are_dropped_in_favour_of_the_labelled_column(tmp_path: Path) -> None:
    schema = _clean(tmp_path, _frame())
    dropped = {d.source_name: d for d in schema.dropped}
    assert {name: d.duplicate_of for name, d in dropped.items()} == {
        "Country Code": "country",
        "Country ID": "country",
        "Spend Cents": "spend",
    }
    assert {d.reason for d in dropped.values()} == {"duplicate"}
    assert dropped["Country ID"].detail == (
        "a one-to-one recoding of country (4 values each, on the 400 rows where both are answered)"
    )
    assert dropped["Spend Cents"].detail.startswith("an exact linear function of spend")
    # A coarsening (age -> age band) is not one-to-one: both stay, the band is what conditions use.
    assert [c.name for c in schema.columns] == ["country", "age", "spend", "age_band"]


def test_the_copy_with_fewer_gaps_is_kept(tmp_path: Path) -> None:
    frame = _frame()[["Country", "Country Code", "Age"]]
    frame.loc[::10, "Country"] = None
    schema = _clean(tmp_path, frame)
    assert [(d.source_name, d.duplicate_of) for d in schema.dropped] == [("Country", "country_code")]


def test_look_alikes_are_kept(tmp_path: Path) -> None:
    frame = _frame()[["Country", "Country Code", "Spend"]]
    frame.loc[7, "Country Code"] = "XX" if frame.loc[7, "Country"] != "Germany" else "FR"
    frame.loc[7:20, "Country Code"] = frame.loc[7, "Country Code"]  # enough rows to survive collapsing
    rng = np.random.default_rng(1)
    # Two unrelated near-unique numbers are trivially one-to-one; only an exact linear law counts.
    frame["Height"] = rng.normal(170, 10, len(frame))
    # Two flags raised on the same single row match by coincidence, not by construction.
    frame["Flag A"] = frame["Flag B"] = False
    frame.loc[3, ["Flag A", "Flag B"]] = True
    schema = _clean(tmp_path, frame)
    assert [d.reason for d in schema.dropped] == []


def test_a_condition_on_a_dropped_copy_names_the_kept_column(tmp_path: Path) -> None:
    schema = _clean(tmp_path, _frame())
    with pytest.raises(EngineInputError) as caught:
        parse_conditions({"categorical": {"Country Code": {"DE": 0.5}}}, schema)
    assert caught.value.code == "simio_unknown_condition_column"
    assert "duplicate of 'country'" in caught.value.detail


def test_ten_thousand_rows_by_fifty_columns_is_checked_well_under_a_second() -> None:
    rng = np.random.default_rng(2)
    rows = 10_000
    columns, types = {}, {}
    for index in range(50):
        kind = ("categorical", "integer", "numeric")[index % 3]
        if kind == "categorical":
            values = pa.array(rng.choice(list("abcdef"), rows))
        elif kind == "integer":
            values = pa.array(rng.integers(0, 3000 if index % 2 else 7, rows))
        else:
            values = pa.array(rng.normal(size=rows))
        # Gaps everywhere, so no pair is ruled out by the cheap gap-free comparison.
        mask = pa.array(rng.random(rows) < 0.05)
        columns[f"c{index}"] = pa.chunked_array([pc.if_else(mask, None, values)])
        types[f"c{index}"] = kind
    columns["copy"] = pc.multiply(columns["c2"], 3.0)
    types["copy"] = "numeric"
    started = time.perf_counter()
    found = duplicate_columns(columns, types)
    elapsed = time.perf_counter() - started
    assert found == {"copy": ("c2", found["copy"][1])}
    assert elapsed < 1.0, elapsed
