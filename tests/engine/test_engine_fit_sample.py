"""A seed longer than fit_sample_rows is learnt from a stratified sample and scored on rows outside it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from simulacra.engine import clean_table, fit_model
from simulacra.engine.evaluation.validation import validate_model
from simulacra.engine.model.fit_sample import split_for_fit
from simulacra.engine.records import CausalGraph, CleanedSchema

EDGES = [["segment", "brand"], ["brand", "price"], ["price", "satisfaction"], ["satisfaction", "purchase_intent"]]


@pytest.fixture(scope="module")
def cleaned(tracker_csv: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, CleanedSchema]:
    parquet = str(tmp_path_factory.mktemp("fit_sample") / "cleaned.parquet")
    return parquet, clean_table(tracker_csv, parquet)


def test_a_table_no_longer_than_the_setting_is_used_whole(cleaned: tuple[str, CleanedSchema], tmp_path: Path) -> None:
    parquet, schema = cleaned
    assert split_for_fit(parquet, schema, schema.row_count, 0, str(tmp_path)) is None
    assert split_for_fit(parquet, schema, 0, 0, str(tmp_path)) is None


def test_the_sample_is_stratified_seeded_and_disjoint_from_held_out_rows(
    cleaned: tuple[str, CleanedSchema], tmp_path: Path
) -> None:
    parquet, schema = cleaned
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    rows = split_for_fit(parquet, schema, 500, 3, str(tmp_path / "a"))
    again = split_for_fit(parquet, schema, 500, 3, str(tmp_path / "b"))
    assert rows is not None and again is not None
    assert np.array_equal(rows.sample_positions, again.sample_positions)
    assert len(rows.sample_positions) == 500 == pq.read_metadata(rows.sample_path).num_rows
    assert not set(rows.sample_positions) & set(rows.held_out_positions)
    assert rows.sample.held_out_rows == schema.row_count - 500
    # Each segment keeps its share of the table to within one row (systematic sampling of sorted strata).
    whole = pq.read_table(parquet, columns=["segment"])["segment"]
    sample = pq.read_table(rows.sample_path, columns=["segment"])["segment"]
    for level in pc.unique(whole).to_pylist():
        share = pc.sum(pc.equal(whole, level)).as_py() / schema.row_count
        assert abs(pc.sum(pc.equal(sample, level)).as_py() - share * 500) <= 1


def test_validation_states_the_sample_and_scores_rows_outside_it(
    cleaned: tuple[str, CleanedSchema], tmp_path: Path
) -> None:
    parquet, schema = cleaned
    graph = CausalGraph.model_validate({"nodes": schema.names, "edges": EDGES})
    rows = split_for_fit(parquet, schema, 800, 0, str(tmp_path))
    assert rows is not None
    model = str(tmp_path / "model.pkl")
    report = fit_model(rows.sample_path, schema, graph, model, seed=0)
    validation = validate_model(rows.sample_path, schema, graph, report, fit_rows=rows, model_path=model)
    assert validation.fit_sample is not None
    assert validation.fit_sample.rows == 800 and validation.fit_sample.table_rows == schema.row_count
    assert "segment" in validation.fit_sample.stratified_on
    fidelity = validation.held_out_fidelity
    assert fidelity.computed and fidelity.train_rows == 800
    assert fidelity.held_out_rows == min(2000, schema.row_count - 800)
