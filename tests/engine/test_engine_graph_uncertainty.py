"""Effects over the graph's uncertainty: bootstrap rediscovery, local IDA ranges, and contested edges."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulacra.engine import clean_table, discover_graph, fit_model, generate_rows
from simulacra.engine.effects import estimate_effect
from simulacra.engine.records.graph import CausalGraph, GraphEdit
from simulacra.engine.uncertainty.contested import robustness
from simulacra.engine.uncertainty.rediscover import graph_hints

# y = 0.09 t + noise at 800 rows: a real but weak dependence. On this draw the G-test on binned values
# keeps t and y apart (p = 0.02 > alpha 0.01), so the learned graph has no edge and the fixed-graph
# interval is exactly [0, 0]; most bootstrap resamples find the edge.
WEAK_SEED, WEAK_SLOPE = 5, 0.09


def fitted(folder: Path, frame: pd.DataFrame) -> tuple[str, str, CausalGraph]:
    frame.to_csv(folder / "seed.csv", index=False)
    parquet, model = str(folder / "clean.parquet"), str(folder / "model.pkl")
    schema = clean_table(str(folder / "seed.csv"), parquet)
    graph = discover_graph(parquet, schema, bootstrap=0)
    fit_model(parquet, schema, graph, model)
    return model, parquet, graph


def effect(model: str, parquet: str, method: str, treatment: str, outcome: str) -> dict:
    request = {
        "treatment": {"column": treatment, "from": -1.0, "to": 1.0},
        "outcome": outcome,
        "samples": 2000,
        "seed": 3,
        "interval_method": method,
    }
    return estimate_effect(model, request, seed_parquet=parquet, bootstrap=10)


@pytest.fixture(scope="module")
def weak(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, CausalGraph]:
    rng = np.random.default_rng(WEAK_SEED)
    t = rng.normal(0, 1, 800)
    frame = pd.DataFrame({"t": t.round(4), "y": (WEAK_SLOPE * t + rng.normal(0, 1, 800)).round(4)})
    return fitted(tmp_path_factory.mktemp("weak"), frame)


def test_the_rediscovered_interval_covers_an_edge_the_learned_graph_missed(weak: tuple[str, str, CausalGraph]) -> None:
    model, parquet, graph = weak
    truth = WEAK_SLOPE * 2
    assert graph.edges == []
    fixed = effect(model, parquet, "bootstrap_refit", "t", "y")
    assert fixed["method"] == "exact_zero" and not fixed["ci_low"] <= truth <= fixed["ci_high"]
    honest = effect(model, parquet, "bootstrap_rediscover", "t", "y")
    assert honest["method"] == "bootstrap_rediscover" and honest["interval_method"] == "bootstrap_rediscover"
    assert honest["ci_low"] <= truth <= honest["ci_high"] and honest["estimate"] == 0.0
    structure = honest["structure"]
    assert structure["resamples"] == 10 and 0 < structure["resamples_with_path"] < 10
    assert structure["paths"] == [{"path": ["t", "y"], "resamples": structure["resamples_with_path"]}]
    assert structure["effect_low"] == 0.0 <= structure["effect_median"] <= structure["effect_high"]
    [edge] = structure["contested_edges"]
    assert (edge["from"], edge["to"], edge["in_model"], edge["effect_without"]) == ("t", "y", False, 0.0)
    assert edge["effect_with"] > 0.05
    assert "rediscovered graphs did" in honest["note"]


def test_over_the_budget_the_interval_falls_back_to_the_fixed_graph(
    weak: tuple[str, str, CausalGraph], monkeypatch: pytest.MonkeyPatch
) -> None:
    model, parquet, _ = weak
    monkeypatch.setattr("simulacra.engine.effects.REDISCOVER_WORK", 1000)
    result = effect(model, parquet, "bootstrap_rediscover", "t", "y")
    assert result["method"] == "exact_zero" and result["structure"] is None
    assert "compute budget" in result["note"]


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, CausalGraph]:
    # a -> b -> c: no collider, so no direction is in the data; the prior (column order) picks one.
    rng = np.random.default_rng(2)
    a = rng.normal(0, 1, 1500)
    b = 0.8 * a + rng.normal(0, 1, 1500)
    c = 0.7 * b + rng.normal(0, 1, 1500)
    return fitted(tmp_path_factory.mktemp("chain"), pd.DataFrame({"a": a, "b": b, "c": c}).round(4))


def test_an_undirected_edge_at_the_treatment_gives_a_range_over_its_directions(
    chain: tuple[str, str, CausalGraph],
) -> None:
    model, parquet, graph = chain
    assert {tuple(edge) for edge in graph.oriented_by_prior} == {("a", "b"), ("b", "c")}
    result = effect(model, parquet, "bootstrap_refit", "b", "c")
    span = result["effect_range"]
    # b -> c: 0.7 per unit, 1.4 over the contrast; c -> b: b cannot reach c, 0.
    assert span["low"] == 0.0 and span["high"] == pytest.approx(1.4, abs=0.15)
    assert span["parent_sets"] == 3 and "depending on the direction of b - a, b - c" in span["statement"]
    by_edge = {edge["to"]: edge for edge in span["by_edge"]}
    assert by_edge["c"]["if_reversed"] == {"low": 0.0, "high": 0.0}
    assert by_edge["c"]["if_forward"]["low"] == pytest.approx(1.4, abs=0.15)


def test_generation_and_validation_name_the_contested_edges(chain: tuple[str, str, CausalGraph]) -> None:
    model, parquet, graph = chain
    _, report = generate_rows(model, {"numeric": {"b": {"min": 1, "max": 1}}}, 200, seed=1)
    named = {(edge["from"], edge["to"]) for edge in report["contested_edges"]}
    assert ("b", "c") in named and "setting b propagates through edges" in report["warnings"][0]
    _, observed = generate_rows(model, {"mode": "condition", "numeric": {"b": {"min": 0, "max": 1}}}, 200, seed=1)
    assert observed["warnings"] == [] and observed["contested_edges"] == []
    section = robustness(graph)
    doubts = {(edge.source, edge.target): edge for edge in section.contested_edges}
    assert doubts[("b", "c")].doubt == "direction"
    settle = [hint.causal_hints for hint in doubts[("b", "c")].settle_with]
    assert settle == [{"required": [{"from": "b", "to": "c"}]}, {"required": [{"from": "c", "to": "b"}]}]


def test_graph_edits_keep_the_profile_tier_in_the_resamples_unless_one_points_into_it() -> None:
    # Without hints discovery puts age and income first; an edit must not silently drop that from rediscovery.
    graph = CausalGraph(nodes=["age", "income", "x", "y"], edges=[("age", "x"), ("x", "y")])
    graph.edits = [GraphEdit(op="remove", source="x", target="y")]
    assert graph_hints(graph).tiers == (("age", "income"), ("x", "y"))
    assert graph_hints(CausalGraph(nodes=graph.nodes, edges=graph.edges)).tiers == graph_hints(graph).tiers
    graph.edits = [GraphEdit(op="add", source="y", target="income")]
    assert graph_hints(graph).tiers == () and ("y", "income") in graph_hints(graph).required
    graph.hints_applied = {"forbidden": [{"from": "x", "to": "age"}]}  # the user's hints: no guessed tier
    graph.edits = []
    assert graph_hints(graph).tiers == ()
