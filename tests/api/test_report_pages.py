"""The report pages from records alone: layout of the graph, what each version changed, and pages that still render
when a record lacks fields or carries new ones (other workers add fields; reports read them defensively)."""

from __future__ import annotations

from simulacra.api.reports.dataset_page import Version, changes
from simulacra.api.reports.effect_page import render_effect_report
from simulacra.api.reports.generation_page import render_generation_report
from simulacra.api.reports.graph_drawing import draw_graph, layers
from simulacra.engine.checks.graph_edits import edit_graph
from simulacra.engine.records import CausalGraph

GRAPH = CausalGraph(
    nodes=["age", "segment", "price", "intent"],
    edges=[("segment", "price"), ("price", "intent"), ("segment", "intent")],
    hints_applied={"tiers": [["age"], ["segment"]], "forbidden": [], "required": [{"from": "segment", "to": "price"}]},
    oriented_by_prior=[("segment", "intent")],
)


def test_columns_are_laid_out_by_tier_then_causal_order() -> None:
    assert layers(GRAPH) == [["age"], ["segment"], ["price"], ["intent"]]
    untiered = GRAPH.model_copy(update={"hints_applied": None})
    assert layers(untiered) == [["age", "segment"], ["price"], ["intent"]]


def test_the_drawing_marks_every_node_and_edge_with_its_kind() -> None:
    svg = draw_graph(GRAPH, {})
    assert svg.count("data-node=") == 4 and svg.count("data-edge=") == 3
    assert 'data-edge="segment-&gt;price" data-kind="required"' in svg
    assert 'data-edge="segment-&gt;intent" data-kind="prior"' in svg
    assert "<title>segment → intent: no bootstrap stability; direction not identified" in svg


def test_each_version_lists_its_own_edits_and_the_edges_they_changed() -> None:
    second = edit_graph(GRAPH, [{"op": "remove", "from": "segment", "to": "intent"}])
    third = edit_graph(second, [{"op": "add", "from": "age", "to": "intent"}])
    rows = changes([Version(1, GRAPH, None), Version(2, second, None), Version(3, third, None)])
    assert [row.edits for row in rows] == [[], ["remove segment → intent"], ["add age → intent"]]
    assert rows[1].removed == [("segment", "intent")] and rows[1].added == []
    assert rows[2].added == [("age", "intent")] and rows[2].removed == []


def test_a_generation_report_renders_without_privacy_or_feasibility() -> None:
    html = render_generation_report({"generation_id": "gen_1", "dataset_id": "ds_1", "status": "ready"}, {})
    assert "Not computed" in html and "No conditions" in html


def test_an_effect_report_lists_fields_a_newer_worker_adds() -> None:
    result = {
        "estimate": -1.5,
        "ci_low": -2.0,
        "ci_high": -1.0,
        "arms": {"from": {"value": 4.99, "mean": 50.0}, "to": {"value": 5.49, "mean": 48.5}},
        "graph_path": [["price", "intent"]],
        "contested_edges": [{"from": "segment", "to": "intent", "stability": 0.4}],
    }
    effect = {"effect_id": "eff_1", "dataset_id": "ds_1", "treatment": {"column": "price"}, "outcome": "intent"}
    html = render_effect_report(effect, result, GRAPH, {})
    assert "contested_edges" in html and "&#34;stability&#34;: 0.4" in html
    assert 'data-edge="price-&gt;intent" data-kind="learned" data-stability="" data-highlighted="true"' in html
