from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from simulacra.engine import EngineInputError, clean_table, discover_graph, fit_model, generate_rows
from simulacra.engine.checks.effect_request import directed_paths
from simulacra.engine.effects import estimate_effect

PRICE = {"column": "price", "from": 3.99, "to": 6.49}


@pytest.fixture(scope="module")
def fitted(make_tracker: Callable[..., pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("effects")
    make_tracker(2000, 17).to_csv(folder / "tracker.csv", index=False)
    parquet, model = str(folder / "clean.parquet"), str(folder / "model.pkl")
    schema = clean_table(str(folder / "tracker.csv"), parquet)
    fit_model(parquet, schema, discover_graph(parquet, schema, bootstrap=0), model)
    return model, parquet


def effect(model: str, parquet: str | None = None, bootstrap: int = 0, **request: object) -> dict:
    # The fixed-graph interval: tests/engine/test_engine_graph_uncertainty.py covers bootstrap_rediscover.
    request.setdefault("interval_method", "bootstrap_refit")
    return estimate_effect(model, request, seed_parquet=parquet, bootstrap=bootstrap)


def test_price_effect_is_near_the_truth_with_a_refit_interval(fitted: tuple[str, str]) -> None:
    model, parquet = fitted
    result = effect(model, parquet, 4, treatment=PRICE, outcome="purchase_intent", samples=4000)
    # examples/make_tracker.py: E[intent | do(6.49)] - E[intent | do(3.99)] = -30.8 points.
    assert -38 < result["estimate"] < -24
    assert result["method"] == "bootstrap_refit" and result["resamples"] == 4
    assert result["ci_low"] < result["estimate"] < result["ci_high"] < 0
    assert ["price", "purchase_intent"] in result["graph_path"] and result["note"] is None
    assert result["support"]["in_support"] and result["support"]["from"]["in_seed_range"]


def test_a_wider_confidence_level_gives_a_wider_interval(fitted: tuple[str, str]) -> None:
    model, parquet = fitted
    widths = [
        (r["ci_high"] - r["ci_low"], r["estimate"])
        for r in (
            effect(model, parquet, 3, treatment=PRICE, outcome="purchase_intent", samples=2000, confidence_level=c)
            for c in (0.8, 0.99)
        )
    ]
    assert widths[0][1] == widths[1][1] and 0 < widths[0][0] < widths[1][0]


def test_effect_agrees_with_generated_rows(fitted: tuple[str, str]) -> None:
    model, _ = fitted
    result = effect(model, treatment=PRICE, outcome="satisfaction", samples=3000, seed=4)
    arms = [
        generate_rows(model, {"numeric": {"price": {"min": value, "max": value}}}, 3000, seed=4)[0]
        for value in (3.99, 6.49)
    ]
    means = [np.nanmean(table["satisfaction"].to_numpy()) for table in arms]
    assert result["arms"]["to"]["mean"] == pytest.approx(means[1], abs=1e-6)
    assert result["estimate"] == pytest.approx(means[1] - means[0], abs=1e-5)
    assert result["method"] == "monte_carlo"


def test_outcome_the_treatment_cannot_reach_has_effect_exactly_zero(fitted: tuple[str, str]) -> None:
    model, _ = fitted
    result = effect(model, treatment=PRICE, outcome="region", outcome_level="north", samples=2000, segment_by="segment")
    assert (result["estimate"], result["ci_low"], result["ci_high"]) == (0.0, 0.0, 0.0)
    assert result["graph_path"] == [] and result["method"] == "exact_zero" and "not a descendant" in result["note"]
    # The simulated arms agree: the zero is the model's, not a shortcut that rows would contradict.
    assert result["arms"]["from"]["mean"] == result["arms"]["to"]["mean"]
    assert all(segment["estimate"] == 0.0 for segment in result["segments"])


def test_effects_per_segment(fitted: tuple[str, str]) -> None:
    model, parquet = fitted
    result = effect(model, parquet, 2, treatment=PRICE, outcome="purchase_intent", segment_by="segment", samples=4000)
    segments = {segment["level"]: segment for segment in result["segments"]}
    assert set(segments) == {"genz_switcher", "loyal_boomer", "value_seeker", "premium_millennial"}
    assert sum(segment["units"] for segment in segments.values()) == 4000
    assert all(s["ci_low"] < s["estimate"] < -15 for s in segments.values())
    assert all(s["support"]["level"] in ("good", "thin", "none") for s in segments.values())


def test_categorical_treatment_and_outcome_level(fitted: tuple[str, str]) -> None:
    model, _ = fitted
    result = effect(
        model,
        treatment={"column": "segment", "from": "value_seeker", "to": "genz_switcher"},
        outcome="brand",
        outcome_level="Fizzo",
        samples=3000,
    )
    # Gen-Z switchers pick Fizzo six times as often as value seekers (0.60 vs 0.10).
    assert 0.3 < result["estimate"] < 0.7 and result["outcome_level"] == "Fizzo"
    assert result["support"]["to"]["level"] == "good"


def test_treatment_outside_the_seed_has_no_support(fitted: tuple[str, str]) -> None:
    model, _ = fitted
    result = effect(model, treatment={"column": "price", "from": 4.0, "to": 9.0}, outcome="purchase_intent")
    assert result["support"]["to"]["level"] == "none" and not result["support"]["in_support"]
    assert result["support"]["from"]["share_of_seed_rows_at_or_near"] > 0
    assert any("extrapolation" in warning for warning in result["warnings"])


def test_paths_come_shortest_first_and_are_capped() -> None:
    edges = [("t", "a"), ("a", "o"), ("t", "o"), ("t", "b"), ("b", "a"), ("x", "o")]
    assert directed_paths(edges, "t", "o") == [["t", "o"], ["t", "a", "o"], ["t", "b", "a", "o"]]
    assert len(directed_paths(edges, "t", "o", limit=2)) == 2 and directed_paths(edges, "o", "t") == []


@pytest.mark.parametrize(
    ("request_", "code", "pointer"),
    [
        (
            {"treatment": {"column": "price", "from": 4}, "outcome": "purchase_intent"},
            "simio_invalid_field",
            "/treatment",
        ),
        (
            {"treatment": {"column": "Price", "from": 1, "to": 2}, "outcome": "purchase_intent"},
            "simio_unknown_condition_column",
            "/treatment/column",
        ),
        (
            {"treatment": {"column": "price", "from": "cheap", "to": 5}, "outcome": "purchase_intent"},
            "simio_invalid_field",
            "/treatment/from",
        ),
        (
            {"treatment": {"column": "brand", "from": "Fizzo", "to": "Cola"}, "outcome": "price"},
            "simio_unknown_condition_level",
            "/treatment/to",
        ),
        ({"treatment": PRICE, "outcome": "price"}, "simio_invalid_field", "/outcome"),
        ({"treatment": PRICE, "outcome": "nope"}, "simio_unknown_condition_column", "/outcome"),
        ({"treatment": PRICE, "outcome": "brand"}, "simio_invalid_field", "/outcome_level"),
        (
            {"treatment": PRICE, "outcome": "brand", "outcome_level": "Cola"},
            "simio_unknown_condition_level",
            "/outcome_level",
        ),
        (
            {"treatment": PRICE, "outcome": "purchase_intent", "segment_by": "satisfaction"},
            "simio_invalid_field",
            "/segment_by",
        ),
        (
            {
                "treatment": {"column": "segment", "from": "value_seeker", "to": "genz_switcher"},
                "outcome": "purchase_intent",
                "segment_by": "brand",
            },
            "simio_invalid_field",
            "/segment_by",
        ),
        ({"treatment": PRICE, "outcome": "purchase_intent", "samples": 10}, "simio_invalid_field", "/samples"),
        ({"treatment": {**PRICE, "to": 3.99}, "outcome": "purchase_intent"}, "simio_invalid_field", "/treatment/to"),
    ],
)
def test_bad_effect_requests_are_refused(fitted: tuple[str, str], request_: dict, code: str, pointer: str) -> None:
    with pytest.raises(EngineInputError) as caught:
        estimate_effect(fitted[0], request_)
    assert (caught.value.code, caught.value.pointer) == (code, pointer)
