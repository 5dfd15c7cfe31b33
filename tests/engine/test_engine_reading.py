from __future__ import annotations

import json
from pathlib import Path

from engine.cleaning import clean_table


def test_non_finite_cells_are_missing_and_the_schema_stays_valid_json(tmp_path: Path) -> None:
    rows = "".join(f"{i * 1.5},{'inf' if i == 3 else 1e308 if i == 4 else i},{'ab'[i % 2]}\n" for i in range(40))
    (tmp_path / "t.csv").write_text("x,y,g\n" + rows)
    schema = clean_table(str(tmp_path / "t.csv"), str(tmp_path / "t.parquet"))
    y = next(column for column in schema["columns"] if column["name"] == "y")
    assert y["missing_share"] == 1 / 40
    json.dumps(schema, allow_nan=False)
