from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from simulacra.engine import clean_table, discover_graph, fit_model, generate_rows
from simulacra.engine.checks.conditions import parse_conditions

QUICKSTART = {"categorical": {"segment": {"genz_switcher": 0.30}}, "numeric": {"price": {"min": 5.49, "max": 5.49}}}


@pytest.fixture(scope="module")
def model(make_tracker: Callable[..., pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("condition")
    make_tracker(2000, 11).to_csv(folder / "tracker.csv", index=False)
    parquet = str(folder / "clean.parquet")
    schema = clean_table(str(folder / "tracker.csv"), parquet)
    fit_model(parquet, schema, discover_graph(parquet, schema, bootstrap=0), str(folder / "model.pkl"))
    return str(folder / "model.pkl")


def test_parse_conditions_accepts_condition_mode() -> None:
    schema = {"columns": [{"name": "price", "type": "numeric"}]}
    assert parse_conditions({"mode": "condition"}, schema).mode == "condition"


def test_quickstart_conditions_are_met_observationally(model: str) -> None:
    table, report = generate_rows(model, {**QUICKSTART, "mode": "condition"}, 2000, seed=1)
    assert table.num_rows == report["rows_generated"] == 2000
    assert set(table["price"].to_pylist()) == {5.49}
    assert table["segment"].to_pylist().count("genz_switcher") == 600
    assert report["mode"] == "condition" and report["conditions_met"] is True
    feasibility = report["feasibility"]
    assert feasibility["rows"] == {"requested": 2000, "achieved": 2000, "status": "met"}
    assert feasibility["categorical"]["segment"]["status"] == "met"
    assert feasibility["numeric"]["price"]["status"] == "met"
    assert 0 < feasibility["numeric"]["price"]["acceptance_rate"] < 0.2
    assert report["draws"] <= 50 * 2000


def test_conditioning_moves_ancestors_where_intervening_does_not(model: str) -> None:
    dear = {"numeric": {"price": {"min": 6.2}}}
    observed, _ = generate_rows(model, {**dear, "mode": "condition"}, 1000, seed=2)
    intervened, _ = generate_rows(model, dear, 1000, seed=2)
    # Among respondents who paid over 6.20 the premium brand dominates; setting the price changes no brand.
    observed_share = np.mean(np.asarray(observed["brand"].to_pylist()) == "Nordic Spring")
    intervened_share = np.mean(np.asarray(intervened["brand"].to_pylist()) == "Nordic Spring")
    assert observed_share > intervened_share + 0.2
    assert min(observed["price"].to_pylist()) >= 6.2


def test_impossible_range_ends_with_no_rows_and_an_infeasible_report(model: str) -> None:
    table, report = generate_rows(model, {"numeric": {"price": {"min": 40}}, "mode": "condition"}, 500, seed=3)
    assert table.num_rows == report["rows_generated"] == 0
    assert report["conditions_met"] is False
    assert report["feasibility"]["rows"]["status"] == "infeasible"
    assert report["feasibility"]["numeric"]["price"]["status"] == "infeasible"
    assert report["draws"] == 50 * 500


def test_rare_combination_returns_fewer_rows_with_the_shares_kept(model: str) -> None:
    conditions = {"categorical": {"brand": {"Fizzo": 0.9}}, "numeric": {"price": {"min": 6.0}}, "mode": "condition"}
    table, report = generate_rows(model, conditions, 1000, seed=4, max_draws=10000)
    rows = table.num_rows
    assert 0 < rows < 1000 and report["feasibility"]["rows"]["status"] == "partial"
    assert abs(table["brand"].to_pylist().count("Fizzo") / rows - 0.9) < 0.01
    assert report["feasibility"]["categorical"]["brand"]["status"] == "met"
    assert report["conditions_met"] is False and report["draws"] == 10000


def test_condition_mode_is_reproducible(model: str) -> None:
    conditions = {"categorical": {"region": {"north": 0.5}}, "numeric": {"awareness": {"max": 40}}, "mode": "condition"}
    first, _ = generate_rows(model, conditions, 300, seed=9)
    second, _ = generate_rows(model, conditions, 300, seed=9)
    assert first.equals(second)


def test_intervention_outside_the_seed_reports_missing_support(model: str) -> None:
    _, report = generate_rows(model, {"numeric": {"price": {"min": 7.5, "max": 8.0}}}, 200, seed=5)
    price = report["feasibility"]["numeric"]["price"]
    assert price["status"] == "met" and price["within_seed_range"] is False
    assert price["seed_share_in_range"] == 0 and "extrapolated" in price["note"]
    assert report["conditions_met"] is True


def test_intervention_feasibility_is_met_inside_the_seed(model: str) -> None:
    _, report = generate_rows(model, QUICKSTART, 500, seed=6)
    assert report["conditions_met"] is True
    assert report["feasibility"]["numeric"]["price"]["within_seed_range"] is True
    assert report["feasibility"]["categorical"]["segment"]["achieved"] == {"genz_switcher": 0.3}


def test_level_with_little_support_cuts_the_rows_not_the_share(model: str) -> None:
    # Hardly any ValueCola respondent pays 6 or more: rows are cut rather than the share missed or invented.
    conditions = {"categorical": {"brand": {"ValueCola": 0.5}}, "numeric": {"price": {"min": 6.0}}, "mode": "condition"}
    table, report = generate_rows(model, conditions, 300, seed=7)
    assert table.num_rows < 100 and report["conditions_met"] is False
    assert report["feasibility"]["rows"]["status"] in ("partial", "infeasible")
    brand = report["feasibility"]["categorical"]["brand"]
    assert brand["status"] == "infeasible" or abs(brand["achieved"]["ValueCola"] - 0.5) < 0.1
