from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from simulacra.engine import EngineInputError, clean_table, discover_graph, fit_model, generate_rows


@pytest.fixture(scope="module")
def fitted(tracker_csv: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict, dict]:
    folder = tmp_path_factory.mktemp("model")
    parquet, model = str(folder / "clean.parquet"), str(folder / "model.pkl")
    schema = clean_table(tracker_csv, parquet)
    report = fit_model(parquet, schema, discover_graph(parquet, schema), model)
    return model, schema, report


def _price_fixed(model: str, price: float) -> pd.DataFrame:
    table, _ = generate_rows(model, {"numeric": {"price": {"min": price, "max": price}}}, 4000, seed=5)
    return table.to_pandas()


def test_fit_report_names_mechanism_and_quality(fitted: tuple[str, dict, dict]) -> None:
    _, _, report = fitted
    nodes = report.nodes
    assert nodes["segment"].model_dump(exclude_none=True) == {"mechanism": "empirical", "parents": []}
    assert nodes["price"].mechanism == "additive_noise(linear)" and (nodes["price"].r2 or 0) > 0.5
    assert nodes["brand"].mechanism == "classifier(logistic)" and 0.4 < (nodes["brand"].accuracy or 0) <= 1
    assert report.fit_seconds >= 0


def test_row_count_and_categorical_share_are_exact(fitted: tuple[str, dict, dict]) -> None:
    model, _, _ = fitted
    conditions = {"categorical": {"segment": {"genz_switcher": 0.3}}}
    table, report = generate_rows(model, conditions, 2000, seed=1)
    assert table.num_rows == 2000 and report["rows_generated"] == 2000
    assert table["segment"].to_pylist().count("genz_switcher") == 600
    assert report["achieved"]["categorical"] == {"segment": {"genz_switcher": 0.3}}
    assert report["mode"] == "intervene"


def test_fixed_price_holds_on_every_row(fitted: tuple[str, dict, dict]) -> None:
    model, _, _ = fitted
    table, report = generate_rows(model, {"numeric": {"price": {"min": 5.49, "max": 5.49}}}, 500, seed=2)
    assert set(table["price"].to_pylist()) == {5.49}
    assert report["achieved"]["numeric"]["price"] == {"min": 5.49, "max": 5.49, "share_in_range": 1.0}


def test_price_intervention_moves_purchase_intent(fitted: tuple[str, dict, dict]) -> None:
    model, _, _ = fitted
    cheap, dear = _price_fixed(model, 3.99), _price_fixed(model, 6.49)
    # The true effect is about -31 points; the descendants must react.
    assert dear["purchase_intent"].mean() < cheap["purchase_intent"].mean() - 15
    assert dear["satisfaction"].mean() < cheap["satisfaction"].mean()


def test_ancestor_keeps_its_seed_distribution(fitted: tuple[str, dict, dict]) -> None:
    model, schema, _ = fitted
    seed_shares = {level.value: level.share for level in schema.columns[0].levels}
    shares = _price_fixed(model, 6.49)["segment"].value_counts(normalize=True)
    for level, share in seed_shares.items():
        assert abs(shares[level] - share) < 0.03


def test_integer_columns_are_integers_within_seed_bounds(fitted: tuple[str, dict, dict]) -> None:
    model, schema, _ = fitted
    table, _ = generate_rows(model, {}, 3000, seed=4)
    for column in schema.columns:
        if column.type == "integer":
            assert table.schema.field(column.name).type == pa.int64()
            values = np.asarray(table[column.name].to_pylist())
            assert values.min() >= column.min and values.max() <= column.max
    assert table.column_names == [c.name for c in schema.columns]
    assert table.schema.field("price").type == pa.float64()
    assert table.schema.field("brand").type == pa.string()


def test_range_outside_the_seed_is_honoured(fitted: tuple[str, dict, dict]) -> None:
    model, _, _ = fitted
    table, report = generate_rows(model, {"numeric": {"price": {"min": 7.5, "max": 8.0}}}, 300, seed=6)
    prices = np.asarray(table["price"].to_pylist())
    assert prices.min() >= 7.5 and prices.max() <= 8.0
    assert report["achieved"]["numeric"]["price"]["share_in_range"] == 1.0


def test_same_seed_gives_same_rows(fitted: tuple[str, dict, dict]) -> None:
    model, _, _ = fitted
    conditions = {"categorical": {"brand": {"Fizzo": 0.5}}}
    first, _ = generate_rows(model, conditions, 200, seed=9)
    second, _ = generate_rows(model, conditions, 200, seed=9)
    assert first.equals(second)
    assert first["brand"].to_pylist().count("Fizzo") == 100


@pytest.mark.parametrize(
    ("conditions", "code"),
    [
        ({"mode": "observe"}, "simio_invalid_field"),
        ({"categorical": {"segment": {"astronaut": 0.2}}}, "simio_unknown_condition_level"),
        ({"categorical": {"segment": {"genz_switcher": 0.8, "loyal_boomer": 0.4}}}, "simio_invalid_field"),
        ({"numeric": {"price": {"min": 6, "max": 4}}}, "simio_invalid_field"),
        ({"numeric": {"segment": {"min": 1}}}, "simio_invalid_field"),
        ({"numeric": {"shoe_size": {"min": 1}}}, "simio_unknown_condition_column"),
    ],
)
def test_nonsense_conditions_are_rejected(fitted: tuple[str, dict, dict], conditions: dict, code: str) -> None:
    model, _, _ = fitted
    with pytest.raises(EngineInputError) as caught:
        generate_rows(model, conditions, 10)
    assert caught.value.code == code


def test_missing_values_come_back_at_the_seed_rate(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = 1000
    colour = rng.choice(["red", "blue", "green"], rows)
    score = np.where(colour == "red", 10.0, 0.0) + rng.normal(0, 1, rows)
    frame = pd.DataFrame({"Colour": colour, "Score": score.round(1), "Opt In": rng.random(rows) < 0.4})
    frame.loc[rng.choice(rows, 200, replace=False), "Score"] = np.nan
    frame.loc[rng.choice(rows, 100, replace=False), "Colour"] = None
    frame.to_csv(tmp_path / "gaps.csv", index=False)
    parquet = str(tmp_path / "clean.parquet")
    schema = clean_table(str(tmp_path / "gaps.csv"), parquet)
    graph = discover_graph(parquet, schema)
    assert ("colour", "score") in graph.edges
    fit_model(parquet, schema, graph, str(tmp_path / "model.pkl"))
    table, _ = generate_rows(str(tmp_path / "model.pkl"), {}, 2000, seed=1)
    assert table["score"].null_count == 400
    assert 100 < table["colour"].null_count < 300
    assert table.schema.field("opt_in").type == pa.bool_()
