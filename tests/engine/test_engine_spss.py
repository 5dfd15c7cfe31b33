"""SPSS .sav uploads: value labels become levels (ordered by code for scales), told apart by magic bytes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from simulacra.engine import EngineInputError, clean_table
from simulacra.engine.cleaning.reading import upload_format

AGREEMENT = {1: "Strongly disagree", 2: "Disagree", 3: "Neither agree nor disagree", 4: "Agree", 5: "Strongly agree"}
SIZES = {1: "Small", 2: "Regular", 3: "Large", 4: "Family pack"}


def write_tracker_sav(path: Path, rows: int = 300, *, compress: bool = False) -> None:
    """A small tracker as SPSS writes it: numeric codes with value labels, a question text per variable."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "Q1": rng.choice([1.0, 2.0, 3.0, 4.0, 5.0, np.nan], rows, p=[0.05, 0.15, 0.3, 0.3, 0.15, 0.05]),
            "REGION": rng.choice([1.0, 2.0, 3.0], rows),
            "PACK": rng.choice([1.0, 2.0, 3.0, 4.0], rows),
            "NPS": rng.integers(0, 11, rows).astype(float),
            "SPEND": rng.normal(20, 5, rows).round(2),
            "BRAND": rng.choice(["Fizzo", "Brisa", "ValueCola"], rows),
        }
    )
    pyreadstat.write_sav(
        frame,
        str(path),
        compress=compress,
        column_labels={"Q1": "I would recommend the brand to a friend", "NPS": "How likely are you to recommend us?"},
        variable_value_labels={
            "Q1": AGREEMENT,
            "REGION": {1: "North", 2: "South", 3: "East"},
            "PACK": SIZES,
            "NPS": {0: "Not at all likely", 10: "Extremely likely"},
        },
        variable_measure={"REGION": "nominal", "PACK": "ordinal"},
    )


@pytest.mark.parametrize("compress", [False, True])
def test_value_labels_become_levels_in_code_order(tmp_path: Path, compress: bool) -> None:
    # No extension: uploads reach the engine without their filename, the first bytes tell the format.
    path = tmp_path / "upload"
    write_tracker_sav(path, compress=compress)
    assert upload_format(str(path)) == "spss"
    schema = clean_table(str(path), str(tmp_path / "clean.parquet"))
    columns = {c.name: c for c in schema.columns}
    # Labels on an agreement scale make an ordinal even without SPSS's measure set.
    assert columns["q1"].type == "ordinal"
    assert [level.value for level in columns["q1"].levels] == list(AGREEMENT.values())
    assert columns["q1"].label == "I would recommend the brand to a friend"
    assert 0.02 < columns["q1"].missing_share < 0.09
    # Declared ordinal: the code order wins over any vocabulary.
    assert columns["pack"].type == "ordinal"
    assert [level.value for level in columns["pack"].levels] == list(SIZES.values())
    # Declared nominal: labels are unordered levels.
    assert columns["region"].type == "categorical"
    assert {level.value for level in columns["region"].levels} == {"North", "South", "East"}
    # Labels on the two ends only are anchors of a number, not its levels.
    assert columns["nps"].type == "integer" and (columns["nps"].min, columns["nps"].max) == (0, 10)
    assert columns["spend"].type == "numeric" and columns["spend"].decimals == 2
    assert columns["brand"].type == "categorical"
    assert schema.renamed["Q1"] == "q1"


def test_a_broken_sav_is_an_invalid_upload(tmp_path: Path) -> None:
    path = tmp_path / "broken"
    path.write_bytes(b"$FL2" + b"\x00garbage" * 100)
    with pytest.raises(EngineInputError) as caught:
        clean_table(str(path), str(tmp_path / "clean.parquet"))
    assert caught.value.code == "simio_upload_invalid" and "SPSS" in caught.value.detail
