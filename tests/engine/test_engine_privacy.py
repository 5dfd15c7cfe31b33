from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pyarrow.parquet as pq
import pytest

from simulacra.engine import clean_table, discover_graph, fit_model, generate_rows
from simulacra.engine.sampling.privacy import privacy_report


@pytest.fixture(scope="module")
def fitted(
    make_tracker: Callable[..., pd.DataFrame], tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, str, dict]:
    folder = tmp_path_factory.mktemp("privacy")
    make_tracker(1500, 13).to_csv(folder / "tracker.csv", index=False)
    parquet, model = str(folder / "clean.parquet"), str(folder / "model.pkl")
    schema = clean_table(str(folder / "tracker.csv"), parquet)
    fit_model(parquet, schema, discover_graph(parquet, schema, bootstrap=0), model)
    return model, parquet, schema


def test_generation_reports_privacy_against_the_seed(fitted: tuple[str, str, dict]) -> None:
    model, parquet, _ = fitted
    _, report = generate_rows(model, {}, 1000, seed=1, seed_parquet=parquet)
    privacy = report["privacy"]
    assert privacy["computed"] is True and privacy["distance"] == "gower"
    assert 0 <= privacy["exact_copy_share"] < 0.05
    # A model that generalises is no closer to the seed than the seed's own rows are to each other.
    assert privacy["dcr_closer_than_seed_share"] < 0.7
    assert privacy["rows_compared"] == 1000 and privacy["seed_rows_compared"] > 0


def test_copied_seed_rows_are_flagged(fitted: tuple[str, str, dict]) -> None:
    _, parquet, schema = fitted
    copies = pq.read_table(parquet).slice(0, 400)
    privacy = privacy_report(copies, parquet, schema)
    assert privacy["exact_copy_share"] == 1.0
    assert privacy["dcr_closer_than_seed_share"] > 0.8
    assert privacy["generated_median_nearest_distance"] == 0.0


def test_privacy_needs_the_seed_table(fitted: tuple[str, str, dict]) -> None:
    model, _, _ = fitted
    _, report = generate_rows(model, {}, 50, seed=2)
    assert report["privacy"]["computed"] is False
