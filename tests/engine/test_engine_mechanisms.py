from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulacra.engine import clean_table, discover_graph, fit_model, generate_rows
from simulacra.engine.frames import model_frame
from simulacra.engine.model.selection import select_mechanism
from simulacra.engine.records import CausalGraph


@pytest.fixture(scope="module")
def survey(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    rng = np.random.default_rng(3)
    rows = 3000
    tier = rng.choice(["basic", "plus", "pro"], rows)
    spend = np.where(tier == "pro", 40.0, 10.0) + rng.normal(0, 4, rows)
    # A 1-5 scale piled up at the top, which an additive-noise model would smear.
    rating = np.clip(np.round(5 - 0.05 * spend + rng.normal(0, 0.3, rows)), 1, 5)
    curve = np.sin(spend / 6.0) * 10 + rng.normal(0, 1, rows)
    frame = pd.DataFrame({"Tier": tier, "Spend": spend.round(2), "Rating": rating.astype(int), "Curve": curve.round(3)})
    folder = tmp_path_factory.mktemp("mechanisms")
    frame.to_csv(folder / "seed.csv", index=False)
    parquet = str(folder / "clean.parquet")
    return parquet, clean_table(str(folder / "seed.csv"), parquet)


def test_few_valued_integer_child_becomes_a_classifier_over_its_values(survey: tuple[str, dict]) -> None:
    parquet, schema = survey
    frame = model_frame(parquet, schema)
    _, label, selection = select_mechanism(frame, "rating", ["spend"], "integer", seed=0)
    assert label == "discrete_classifier(logistic)"
    assert selection is not None and selection.metric == "log_likelihood"
    assert set(selection.scores) == {"additive_noise(linear)", "discrete_classifier(logistic)"}


def test_nonlinear_numeric_child_gets_gradient_boosting_and_linear_stays_linear(survey: tuple[str, dict]) -> None:
    parquet, schema = survey
    frame = model_frame(parquet, schema)
    assert select_mechanism(frame, "curve", ["spend"], "numeric", seed=0)[1] == "additive_noise(gradient_boosting)"
    assert select_mechanism(frame, "spend", ["tier"], "numeric", seed=0)[1] == "additive_noise(linear)"


def test_fit_report_carries_selection_and_rows_keep_discrete_values(survey: tuple[str, dict], tmp_path: Path) -> None:
    parquet, schema = survey
    graph = CausalGraph(nodes=schema.names, edges=[("tier", "spend"), ("spend", "rating"), ("spend", "curve")])
    model = str(tmp_path / "model.pkl")
    report = fit_model(parquet, schema, graph, model, seed=0).model_dump(exclude_none=True)
    assert report["nodes"]["tier"] == {"mechanism": "empirical", "parents": []}
    assert report["nodes"]["rating"]["mechanism"] == "discrete_classifier(logistic)"
    assert "additive_noise(linear)" in report["nodes"]["spend"]["selection"]["scores"]
    table, _ = generate_rows(model, {}, 2000, seed=1)
    seed_ratings = set(model_frame(parquet, schema)["rating"].unique())
    assert set(np.asarray(table["rating"].to_pylist(), dtype=float)) <= seed_ratings
    first, _ = generate_rows(model, {"numeric": {"spend": {"min": 40, "max": 40}}}, 2000, seed=2)
    second, _ = generate_rows(model, {"numeric": {"spend": {"min": 10, "max": 10}}}, 2000, seed=2)
    # Dearer spend lowers the rating through the classifier, as the seed's equation says.
    assert np.mean(first["rating"].to_pylist()) < np.mean(second["rating"].to_pylist()) - 1


def test_same_seed_same_choice_and_same_model(survey: tuple[str, dict], tmp_path: Path) -> None:
    parquet, schema = survey
    graph = discover_graph(parquet, schema)
    reports = [fit_model(parquet, schema, graph, str(tmp_path / f"m{i}.pkl"), seed=4) for i in range(2)]
    assert reports[0].nodes == reports[1].nodes
    tables = [generate_rows(str(tmp_path / f"m{i}.pkl"), {}, 500, seed=3)[0] for i in range(2)]
    assert tables[0].equals(tables[1])


def test_interacting_categorical_parents_get_a_frequency_table(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    rows = 3000
    left, right = rng.choice(["a", "b"], rows), rng.choice(["x", "y"], rows)
    # An exclusive-or: neither parent alone says anything, which a logistic model cannot represent.
    agree = (left == "a") == (right == "x")
    answer = np.where(rng.random(rows) < np.where(agree, 0.9, 0.1), "yes_please", "no_thanks")
    frame = pd.DataFrame({"left": left, "right": right, "answer": answer}, dtype=object)
    _, label, selection = select_mechanism(frame, "answer", ["left", "right"], "categorical", seed=0)
    assert label == "classifier(table)"
    assert selection is not None
    assert selection.scores["classifier(table)"] > selection.scores["classifier(logistic)"] + 0.2
