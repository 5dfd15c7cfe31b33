from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from engine import EngineInputError, clean_table, discover_graph, fit_model, generate_rows
from engine.effects import estimate_effect

PRICE = {"column": "Price", "from": 3.99, "to": 6.49}


@pytest.fixture(scope="module")
def fitted(make_tracker: Callable[..., pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("effects")
    make_tracker(2000, 17).to_csv(folder / "tracker.csv", index=False)
    parquet, model = str(folder / "clean.parquet"), str(folder / "model.pkl")
    schema = clean_table(str(folder / "tracker.csv"), parquet)
    fit_model(parquet, schema, discover_graph(parquet, schema, bootstrap=0), model)
    return model, parquet


def test_price_effect_is_near_the_truth_with_a_refit_interval(fitted: tuple[str, str]) -> None:
    model, parquet = fitted
    result = estimate_effect(model, PRICE, "purchase_intent", samples=4000, seed_parquet=parquet, bootstrap=4)
    # examples/make_tracker.py: E[intent | do(6.49)] - E[intent | do(3.99)] = -30.8 points.
    assert -38 < result["effect"] < -24
    interval = result["confidence_interval"]
    assert interval["method"] == "bootstrap_refit" and interval["resamples"] == 4
    assert interval["low"] < result["effect"] < interval["high"] < 0
    assert result["treatment"] == {"column": "price", "from": 3.99, "to": 6.49}
    assert result["support"]["level"] in ("good", "thin") and result["support"]["from"]["within_seed_range"]


def test_effect_agrees_with_generated_rows(fitted: tuple[str, str]) -> None:
    model, _ = fitted
    result = estimate_effect(model, PRICE, "satisfaction", samples=3000, seed=4)
    table, _ = generate_rows(model, {"numeric": {"price": {"min": 6.49, "max": 6.49}}}, 3000, seed=4)
    assert result["arms"]["to"]["mean"] == pytest.approx(np.nanmean(table["satisfaction"].to_numpy()), abs=1e-6)
    assert result["confidence_interval"]["method"] == "monte_carlo"


def test_effects_per_segment(fitted: tuple[str, str]) -> None:
    model, parquet = fitted
    result = estimate_effect(
        model, PRICE, "purchase_intent", by="segment", samples=4000, seed_parquet=parquet, bootstrap=2
    )
    segments = result["segments"]
    assert set(segments) == {"genz_switcher", "loyal_boomer", "value_seeker", "premium_millennial"}
    assert sum(segment["rows"] for segment in segments.values()) == 4000
    assert all(segment["effect"] < -15 for segment in segments.values())
    assert all(segment["support"]["level"] in ("good", "thin", "none") for segment in segments.values())


def test_categorical_treatment_and_outcome_level(fitted: tuple[str, str]) -> None:
    model, _ = fitted
    result = estimate_effect(
        model,
        {"column": "segment", "from": "value_seeker", "to": "genz_switcher"},
        "brand",
        outcome_level="Fizzo",
        samples=3000,
    )
    # Gen-Z switchers pick Fizzo six times as often as value seekers (0.60 vs 0.10).
    assert 0.3 < result["effect"] < 0.7 and result["outcome_level"] == "Fizzo"
    assert result["support"]["to"]["level"] == "good"


def test_treatment_outside_the_seed_has_no_support(fitted: tuple[str, str]) -> None:
    model, _ = fitted
    result = estimate_effect(model, {"column": "price", "from": 4.0, "to": 9.0}, "purchase_intent", samples=500)
    assert result["support"]["to"]["level"] == "none" and result["support"]["level"] == "none"
    assert any("extrapolation" in warning for warning in result["warnings"])


@pytest.mark.parametrize(
    ("treatment", "outcome", "extra", "code", "pointer"),
    [
        ({"column": "price", "from": 4}, "purchase_intent", {}, "simio_invalid_field", "/treatment"),
        ({"column": "shoe", "from": 1, "to": 2}, "purchase_intent", {}, "simio_invalid_field", "/treatment/column"),
        (
            {"column": "price", "from": "cheap", "to": 5},
            "purchase_intent",
            {},
            "simio_invalid_field",
            "/treatment/from",
        ),
        (
            {"column": "brand", "from": "Fizzo", "to": "Cola"},
            "price",
            {},
            "simio_unknown_condition_level",
            "/treatment/to",
        ),
        (PRICE, "brand", {}, "simio_invalid_field", "/outcome_level"),
        (PRICE, "price", {}, "simio_invalid_field", "/outcome"),
        (PRICE, "purchase_intent", {"by": "satisfaction"}, "simio_invalid_field", "/by"),
        (PRICE, "purchase_intent", {"samples": 10}, "simio_invalid_field", "/samples"),
    ],
)
def test_bad_effect_requests_are_refused(
    fitted: tuple[str, str], treatment: dict, outcome: str, extra: dict, code: str, pointer: str
) -> None:
    with pytest.raises(EngineInputError) as caught:
        estimate_effect(fitted[0], treatment, outcome, **extra)
    assert (caught.value.code, caught.value.pointer) == (code, pointer)
