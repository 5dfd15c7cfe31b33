from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from simulacra.engine.checks.errors import EngineInputError
from simulacra.engine.cleaning.clean import clean_table
from simulacra.engine.cleaning.reading import read_upload, upload_format


def test_non_finite_cells_are_missing_and_the_schema_stays_valid_json(tmp_path: Path) -> None:
    rows = "".join(f"{i * 1.5},{'inf' if i == 3 else 1e308 if i == 4 else i},{'ab'[i % 2]}\n" for i in range(40))
    (tmp_path / "t.csv").write_text("x,y,g\n" + rows)
    schema = clean_table(str(tmp_path / "t.csv"), str(tmp_path / "t.parquet"))
    y = next(column for column in schema.columns if column.name == "y")
    assert y.missing_share == 1 / 40
    json.dumps(schema.model_dump(mode="json"), allow_nan=False)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "latin-1"])
def test_spreadsheet_encodings_are_read(tmp_path: Path, encoding: str) -> None:
    body = "Marke,Preis\n" + "".join(f"Brisé {i % 3},{i % 7}.5\n" for i in range(30))
    # Excel's "Unicode text" is UTF-16 with a byte-order mark, little- or big-endian.
    bom = b"\xfe\xff" if encoding == "utf-16-be" else b""
    (tmp_path / "t.csv").write_bytes(bom + body.encode(encoding))
    columns = read_upload(str(tmp_path / "t.csv"))
    assert [column.header for column in columns] == ["Marke", "Preis"]
    assert columns[0].values.to_pylist()[:2] == ["Brisé 0", "Brisé 1"]
    assert pa.types.is_floating(columns[1].values.type)


def test_arrow_ipc_file_is_told_by_its_magic_bytes(tmp_path: Path) -> None:
    table = pa.table({"Score": pa.array([i % 9 for i in range(40)]), "Colour": pa.array(["red", "blue"] * 20)})
    table = table.set_column(1, "Colour", table["Colour"].dictionary_encode())
    path = tmp_path / "upload"
    with pa.ipc.new_file(path, table.schema) as writer:
        writer.write_table(table)
    assert upload_format(str(path)) == "arrow"
    schema = clean_table(str(path), str(tmp_path / "t.parquet"))
    types = [(column.source_name, column.type) for column in schema.columns]
    assert types == [("Score", "integer"), ("Colour", "categorical")]


def test_raw_headers_survive_a_preamble_quotes_and_repeats(tmp_path: Path) -> None:
    rows = "".join(f"{i % 5 + 3},{i % 9}9;abc{i % 3};{i % 4}\n" for i in range(30))
    (tmp_path / "t.csv").write_text('Survey export v2\n\n"Price, EUR";"Q1";"Q1"\n' + rows)
    columns = read_upload(str(tmp_path / "t.csv"))
    assert [column.header for column in columns] == ["Price, EUR", "Q1", "Q1"]
    assert [str(column.values.type) for column in columns] == ["double", "string", "int64"]


def test_an_ordered_categorical_saved_by_pandas_is_ordinal(tmp_path: Path) -> None:
    sizes = pd.Categorical(["M", "S", "XL", "L"] * 10, categories=["S", "M", "L", "XL"], ordered=True)
    colours = pd.Categorical(["red", "blue"] * 20)
    pd.DataFrame({"Size": sizes, "Colour": colours, "Score": [i % 7 for i in range(40)]}).to_parquet(tmp_path / "p")
    schema = clean_table(str(tmp_path / "p"), str(tmp_path / "t.parquet"))
    size, colour = schema.columns[:2]
    assert size.type == "ordinal" and [level.value for level in size.levels or []] == ["S", "M", "L", "XL"]
    assert colour.type == "categorical"


@pytest.mark.parametrize(
    ("body", "line", "fields"),
    [
        ("a,b,c\n" + "1,2,3\n" * 30 + "4,5,6,7\n" + "1,2,3\n" * 10, 32, 4),  # one field too many
        ("a;b;c\n" + "1;2;3\n" * 30 + "4;5\n", 32, 2),  # one too few, semicolons
        ("a,b,c\n" + '1,"two\nlines",3\n' * 5 + "1,2\n", 12, 2),  # line numbers count quoted line breaks
    ],
)
def test_a_ragged_csv_names_its_first_ragged_line(tmp_path: Path, body: str, line: int, fields: int) -> None:
    (tmp_path / "upload").write_text(body)
    with pytest.raises(EngineInputError) as refusal:
        read_upload(str(tmp_path / "upload"))
    assert refusal.value.code == "simio_upload_invalid"
    assert refusal.value.detail.startswith(f"line {line} has {fields} fields where the header has 3")
