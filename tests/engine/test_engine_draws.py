"""The engine's own evaluation of a fitted SCM: chunking, per-node noise, and table vs direct evaluation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulacra.engine import clean_table, discover_graph, fit_model
from simulacra.engine.model.model_file import FittedModel, load_model
from simulacra.engine.sampling import draws, node_plans
from simulacra.engine.sampling.draws import Sampler


@pytest.fixture(scope="module")
def model(tracker_csv: str, tmp_path_factory: pytest.TempPathFactory) -> FittedModel:
    folder: Path = tmp_path_factory.mktemp("draws")
    parquet, path = str(folder / "clean.parquet"), str(folder / "model.pkl")
    schema = clean_table(tracker_csv, parquet)
    fit_model(parquet, schema, discover_graph(parquet, schema, bootstrap=0), path)
    return load_model(path)


def _shares(sample: draws.Draws, name: str) -> np.ndarray:
    return np.bincount(sample.columns[name], minlength=len(sample.levels[name])) / len(sample)


def test_chunks_do_not_change_what_a_seed_draws(model: FittedModel, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = Sampler(model).draw(1000, 3)
    monkeypatch.setattr(draws, "CHUNK", 128)
    chunked, again = Sampler(model).draw(1000, 3), Sampler(model).draw(1000, 3)
    for name in whole.columns:
        assert np.array_equal(chunked.columns[name], again.columns[name])
    # Whatever the chunk size, the rows follow the same distribution.
    assert np.abs(_shares(whole, "brand") - _shares(chunked, "brand")).max() < 0.08


def test_an_intervention_leaves_other_columns_noise_alone(model: FittedModel) -> None:
    sampler = Sampler(model)
    plain = sampler.draw(2000, 5)
    fixed = sampler.draw(2000, 5, numbers={"price": np.full(2000, 5.49)})
    assert set(fixed.columns["price"]) == {5.49}
    # Columns the price does not cause keep every row: two arms of an effect compare the same units.
    for name in ("segment", "brand", "region"):
        assert np.array_equal(plain.columns[name], fixed.columns[name])
    assert fixed.columns["purchase_intent"].mean() < plain.columns["purchase_intent"].mean()


def test_lookup_tables_draw_what_the_estimators_draw(model: FittedModel, monkeypatch: pytest.MonkeyPatch) -> None:
    tabled = Sampler(model).draw(20000, 7)
    monkeypatch.setattr(node_plans, "MAX_COMBINATIONS", 0)  # every mechanism evaluated row by row
    direct = Sampler(model).draw(20000, 7)
    for name in model.schema.names:
        if name in tabled.levels:
            assert np.abs(_shares(tabled, name) - _shares(direct, name)).max() < 0.02, name
        else:
            spread = direct.columns[name].std()
            assert abs(tabled.columns[name].mean() - direct.columns[name].mean()) < 0.05 * spread, name
