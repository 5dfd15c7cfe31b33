"""Model files: format 2 round-trips; format-1 files (written as `engine.*`, before the namespace) still load."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

from simulacra.engine import clean_table, discover_graph, fit_model, generate_rows
from simulacra.engine.model.model_file import FORMAT, load_model


def _fitted(tracker_csv: str, folder: Path) -> str:
    parquet, model = str(folder / "clean.parquet"), str(folder / "model.pkl")
    schema = clean_table(tracker_csv, parquet)
    fit_model(parquet, schema, discover_graph(parquet, schema), model)
    return model


def test_a_format_1_model_file_loads_and_generates(tracker_csv: str, tmp_path: Path) -> None:
    current = load_model(_fitted(tracker_csv, tmp_path))
    assert current.format == FORMAT == 2
    # Format 1 held the schema and graph as dicts inside a FittedModel. Protocol 2 names each class
    # as text ("c<module>\n<name>\n"), so the old module paths can be written back.
    old_model = dataclasses.replace(
        current, format=1, schema=current.schema.model_dump(), graph=current.graph.model_dump(by_alias=True)
    )
    written = pickle.dumps(old_model, protocol=2)
    assert b"csimulacra.engine.model.mechanisms\n" in written
    for module in (b"model_file", b"mechanisms"):
        written = written.replace(b"csimulacra.engine.model." + module + b"\n", b"cengine." + module + b"\n")
    old = tmp_path / "format1.pkl"
    old.write_bytes(written)

    loaded = load_model(str(old))
    assert loaded.format == 1 and sorted(loaded.scm.graph.nodes) == sorted(current.scm.graph.nodes)
    table, report = generate_rows(str(old), {"categorical": {"segment": {"genz_switcher": 0.3}}}, 500, seed=1)
    assert table.num_rows == report["rows_generated"] == 500
