from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simulacra.engine import EngineInputError, clean_table
from simulacra.engine.cleaning.names import snake_case, unique_names


def _write(path: Path, frame: pd.DataFrame) -> str:
    frame.to_csv(path, index=False)
    return str(path)


def _small_frame(rows: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"Score": rng.integers(0, 10, rows), "Colour": rng.choice(["red", "blue"], rows)})


def test_tracker_headers_become_snake_case(tracker_csv: str, tmp_path: Path) -> None:
    schema = clean_table(tracker_csv, str(tmp_path / "clean.parquet"))
    assert schema.renamed["Age Band"] == "age_band"
    assert schema.renamed["Purchase Intent"] == "purchase_intent"
    assert [c.name for c in schema.columns] == [
        "segment",
        "region",
        "age_band",
        "brand",
        "price",
        "awareness",
        "satisfaction",
        "purchase_intent",
    ]


def test_tracker_noise_columns_are_dropped_with_reasons(tracker_csv: str, tmp_path: Path) -> None:
    schema = clean_table(tracker_csv, str(tmp_path / "clean.parquet"))
    reasons = {d.source_name: d.reason for d in schema.dropped}
    assert reasons == {
        "Respondent ID": "id_like",
        "Interview Date": "datetime_not_modelled",
        "Wave": "constant",
        "Verbatim": "free_text",
    }
    assert schema.dropped[0].detail == "5000 distinct values in 5000 rows"


def test_tracker_types_and_summaries_are_inferred(tracker_csv: str, tmp_path: Path) -> None:
    schema = clean_table(tracker_csv, str(tmp_path / "clean.parquet"))
    columns = {c.name: c for c in schema.columns}
    assert {name: c.type for name, c in columns.items() if c.type != "categorical"} == {
        "age_band": "ordinal",
        "price": "numeric",
        "awareness": "integer",
        "satisfaction": "integer",
        "purchase_intent": "integer",
    }
    assert columns["price"].decimals == 2 and columns["satisfaction"].decimals == 0
    assert columns["price"].min == 3.49 and columns["price"].max == 6.99
    assert [level.value for level in columns["age_band"].levels] == ["18-24", "25-34", "35-44", "45-54", "55+"]
    shares = [level.share for level in columns["segment"].levels]
    assert shares == sorted(shares, reverse=True) and abs(sum(shares) - 1) < 1e-6
    json.dumps(schema.model_dump(mode="json"), allow_nan=False)


def test_cleaned_parquet_holds_kept_columns_with_arrow_types(tracker_csv: str, tmp_path: Path) -> None:
    clean_table(tracker_csv, str(tmp_path / "clean.parquet"))
    arrow_schema = pq.read_schema(tmp_path / "clean.parquet")
    assert arrow_schema.field("segment").type == pa.string()
    assert arrow_schema.field("price").type == pa.float64()
    assert arrow_schema.field("awareness").type == pa.int64()
    assert "respondent_id" not in arrow_schema.names


def test_rare_levels_are_collapsed_into_other(tmp_path: Path) -> None:
    frame = _small_frame(300)
    frame.loc[:2, "Colour"] = "mauve"
    schema = clean_table(_write(tmp_path / "rare.csv", frame), str(tmp_path / "clean.parquet"))
    assert schema.collapsed_levels == {"colour": ["mauve"]}
    levels = {level.value for level in schema.columns[1].levels}
    assert levels == {"red", "blue", "other"}


def test_bom_csv_header_is_read_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    body = _small_frame().rename(columns={"Score": "Price Paid (EUR)"}).to_csv(index=False)
    path.write_bytes(b"\xef\xbb\xbf" + body.encode())
    schema = clean_table(str(path), str(tmp_path / "clean.parquet"))
    assert schema.columns[0].source_name == "Price Paid (EUR)"
    assert schema.columns[0].name == "price_paid_eur"


def test_semicolon_file_with_decimal_commas_is_numeric(tmp_path: Path) -> None:
    rows = "\n".join(f"{i % 7},{i % 3};{'ab'[i % 2]}" for i in range(40))
    (tmp_path / "eu.csv").write_text("Preis;Marke\n" + rows + "\n")
    schema = clean_table(str(tmp_path / "eu.csv"), str(tmp_path / "clean.parquet"))
    assert schema.columns[0].type == "numeric"
    assert schema.columns[0].decimals == 1


def test_duplicate_names_get_suffixes(tmp_path: Path) -> None:
    frame = _small_frame().rename(columns={"Score": "Age Band", "Colour": "age_band"})
    schema = clean_table(_write(tmp_path / "dup.csv", frame), str(tmp_path / "clean.parquet"))
    assert schema.renamed == {"Age Band": "age_band", "age_band": "age_band_2"}


def test_mostly_empty_and_boolean_columns(tmp_path: Path) -> None:
    frame = _small_frame()
    frame["Opt In"] = [True, False, True, True] * 50
    frame["Comment"] = ["x" if i % 3 == 0 else None for i in range(200)]
    schema = clean_table(_write(tmp_path / "b.csv", frame), str(tmp_path / "clean.parquet"))
    opt_in = next(c for c in schema.columns if c.name == "opt_in")
    assert opt_in.type == "boolean"
    assert [level.model_dump() for level in opt_in.levels or []] == [
        {"value": "true", "share": 0.75},
        {"value": "false", "share": 0.25},
    ]
    assert [(d.name, d.reason) for d in schema.dropped] == [("comment", "mostly_empty")]
    assert schema.dropped[0].detail.endswith("of values are missing")


def test_parquet_upload_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "upload.bin"
    pq.write_table(pa.Table.from_pandas(_small_frame(), preserve_index=False), path)
    schema = clean_table(str(path), str(tmp_path / "clean.parquet"))
    assert [c.type for c in schema.columns] == ["integer", "categorical"]


@pytest.mark.parametrize(
    "content", [b"", b"\x00\xff\x13garbage\x00" * 300, b"a,b\n1,2\n", b"PAR1 truncated", b"ARROW1\x00\x00cut"]
)
def test_unreadable_or_tiny_uploads_are_rejected(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "bad.csv").write_bytes(content)
    with pytest.raises(EngineInputError) as caught:
        clean_table(str(tmp_path / "bad.csv"), str(tmp_path / "clean.parquet"))
    assert caught.value.code == "simio_upload_invalid"
    # What the client reads names no server path and repeats no library's wording.
    assert str(tmp_path) not in caught.value.detail and "Error" not in caught.value.detail


def test_table_with_one_usable_column_is_rejected(tmp_path: Path) -> None:
    frame = pd.DataFrame({"ID": [f"R{i}" for i in range(50)], "Score": range(50, 100), "Wave": "Q3"})
    frame["Score"] = frame["Score"] % 7
    with pytest.raises(EngineInputError) as caught:
        clean_table(_write(tmp_path / "one.csv", frame), str(tmp_path / "clean.parquet"))
    assert caught.value.code == "simio_upload_invalid"
    assert "ID (id_like)" in caught.value.detail


def test_names_are_ascii_snake_case() -> None:
    assert snake_case("Price Paid (EUR)") == "price_paid_eur"
    assert snake_case("Préférence") == "preference"
    assert snake_case("purchaseIntent") == "purchase_intent"
    assert snake_case("  ") == "column"
    assert unique_names(["Q1", "q1", "Q 1", "Q1"]) == ["q1", "q1_2", "q_1", "q1_3"]


def test_none_is_an_answer_while_null_tokens_are_gaps(tmp_path: Path) -> None:
    brands = ["Fizzo", "None", "Brisa", "NA", "None", "N/A", "null", "", "Fizzo", "Brisa"] * 6
    scores = ["3", "None", "5", "4", "1", "2", "5", "4", "3", "2"] * 6
    lines = [f'"{brand}",{score},{"ab"[i % 2]}' for i, (brand, score) in enumerate(zip(brands, scores, strict=True))]
    (tmp_path / "n.csv").write_text("Brands used,Score,Group\n" + "\n".join(lines) + "\n")
    schema = clean_table(str(tmp_path / "n.csv"), str(tmp_path / "clean.parquet"))
    columns = {c.name: c for c in schema.columns}
    # "None" is an answer ("no brand"); the documented tokens and the empty cell are no answer.
    assert {level.value for level in columns["brands_used"].levels} == {"Fizzo", "None", "Brisa"}
    assert columns["brands_used"].missing_share == 0.4
    # In a column of numbers "None" is Python's spelling of a gap, not a level.
    assert columns["score"].type == "integer" and columns["score"].missing_share == 0.1


def test_repeated_headers_keep_the_raw_header_of_each_copy(tmp_path: Path) -> None:
    rows = "\n".join(f"{i % 5},{'xyz'[i % 3]},{i % 4}" for i in range(40))
    (tmp_path / "q.csv").write_text("Q1,Q1,Q1_1\n" + rows + "\n")
    schema = clean_table(str(tmp_path / "q.csv"), str(tmp_path / "clean.parquet"))
    provenance = [(c.source_name, c.source_index, c.name) for c in schema.columns]
    assert provenance == [("Q1", 0, "q1"), ("Q1", 1, "q1_2"), ("Q1_1", 2, "q1_1")]
    assert schema.renamed == {"Q1": "q1", "Q1_1": "q1_1"}
    assert [c.type for c in schema.columns] == ["integer", "categorical", "integer"]


def test_whole_number_floats_are_integers(tmp_path: Path) -> None:
    frame = _small_frame()
    frame["Visits"] = [float(i % 6) if i % 9 else None for i in range(200)]
    schema = clean_table(_write(tmp_path / "f.csv", frame), str(tmp_path / "clean.parquet"))
    visits = next(c for c in schema.columns if c.name == "visits")
    assert visits.type == "integer" and visits.max == 5
    assert pq.read_schema(tmp_path / "clean.parquet").field("visits").type == pa.int64()
