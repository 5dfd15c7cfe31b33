from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from simulacra.engine import EngineInputError, clean_table, discover_graph
from simulacra.engine.checks.graph_edits import edit_graph
from simulacra.engine.checks.hints import Hints, parse_hints, resolve_column
from simulacra.engine.discovery.orientation import orient_by_order
from simulacra.engine.records import CausalGraph, CleanedSchema

DEMOGRAPHICS = ["segment", "region", "age_band"]


@pytest.fixture(scope="module")
def cleaned(make_tracker: Callable[..., pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    folder = tmp_path_factory.mktemp("hints")
    make_tracker(2000, 11).to_csv(folder / "tracker.csv", index=False)
    schema = clean_table(str(folder / "tracker.csv"), str(folder / "clean.parquet"))
    return str(folder / "clean.parquet"), schema


def test_hints_accept_raw_headers_and_cleaned_names(cleaned: tuple[str, dict]) -> None:
    _, schema = cleaned
    hints = parse_hints(
        {
            "tiers": [["Segment", "region"], ["Brand"]],
            "forbidden": [["Purchase Intent", "price"]],
            "required": [{"from": "Age Band", "to": "awareness"}],
        },
        schema,
    )
    assert hints.tiers == (("segment", "region"), ("brand",))
    assert hints.forbidden == {("purchase_intent", "price")}
    assert hints.required == {("age_band", "awareness")}
    assert not hints.allows("brand", "segment") and hints.allows("segment", "brand")


@pytest.mark.parametrize(
    ("hints", "pointer", "words"),
    [
        ({"tiers": [["segment", "shoe_size"]]}, "/causal_hints/tiers/0/1", "not a column"),
        ({"tiers": [["Verbatim"]]}, "/causal_hints/tiers/0/0", "dropped"),
        ({"tiers": [["segment"], ["segment"]]}, "/causal_hints/tiers/1/0", "already in tier"),
        ({"forbidden": [{"from": "price"}]}, "/causal_hints/forbidden/0", "an edge is"),
        ({"required": [["price", "price"]]}, "/causal_hints/required/0", "itself"),
        ({"required": [["price", "brand"]], "forbidden": [["price", "brand"]]}, "/causal_hints/required/0", "both"),
        ({"tiers": [["brand"], ["price"]], "required": [["price", "brand"]]}, "/causal_hints/required/0", "tiers"),
        (
            {"required": [["price", "awareness"], ["awareness", "brand"], ["brand", "price"]]},
            "/causal_hints/required",
            "cycle",
        ),
        ({"levels": []}, "/causal_hints/levels", "unknown"),
    ],
)
def test_bad_or_contradictory_hints_are_refused(
    cleaned: tuple[str, dict], hints: dict, pointer: str, words: str
) -> None:
    with pytest.raises(EngineInputError) as caught:
        parse_hints(hints, cleaned[1])
    assert (caught.value.code, caught.value.pointer) == ("simio_invalid_field", pointer)
    assert words in caught.value.detail


def test_tiers_hold_in_the_learned_graph(cleaned: tuple[str, dict]) -> None:
    parquet, schema = cleaned
    tiers = [DEMOGRAPHICS, ["brand"], ["price"], ["awareness", "satisfaction", "purchase_intent"]]
    graph = discover_graph(parquet, schema, hints={"tiers": tiers}, bootstrap=0)
    tier_of = {name: index for index, tier in enumerate(tiers) for name in tier}
    assert all(tier_of[a] <= tier_of[b] for a, b in graph.edges)
    assert ("segment", "brand") in graph.edges and ("price", "purchase_intent") in graph.edges
    assert graph.hints_applied["tiers"] == tiers
    assert nx.is_directed_acyclic_graph(nx.DiGraph(graph.edges))


def test_forbidden_and_required_edges_are_honoured(cleaned: tuple[str, dict]) -> None:
    parquet, schema = cleaned
    hints = {
        "forbidden": [["price", "purchase_intent"], ["purchase_intent", "price"]],
        "required": [["region", "awareness"]],
    }
    graph = discover_graph(parquet, schema, hints=hints, bootstrap=0)
    edges = {tuple(edge) for edge in graph.edges}
    assert ("price", "purchase_intent") not in edges and ("purchase_intent", "price") not in edges
    assert ("region", "awareness") in edges
    assert any("region -> awareness" in warning and "no dependence" in warning for warning in graph.warnings)


def test_without_hints_the_graph_warns_about_column_order(cleaned: tuple[str, dict]) -> None:
    parquet, schema = cleaned
    graph = discover_graph(parquet, schema, bootstrap=4)
    assert graph.hints_applied is None
    assert any(warning.startswith("no causal_hints given") for warning in graph.warnings)
    assert [(item.source, item.target) for item in graph.edge_stability or []] == graph.edges
    assert all(0 <= item.stability <= item.adjacency_stability <= 1 for item in graph.edge_stability)
    assert graph.bootstrap is not None and graph.bootstrap.model_dump() == {"resamples": 4, "rows_per_resample": 1000}


def test_bootstrap_can_be_turned_off(cleaned: tuple[str, dict]) -> None:
    graph = discover_graph(*cleaned, bootstrap=0)
    assert graph.bootstrap.resamples == 0
    assert {item.stability for item in graph.edge_stability} == {None}


def test_orientation_turns_forbidden_edges_round() -> None:
    hints = Hints(tiers=(("a",), ("b", "c")))
    edges, by_prior = orient_by_order(["c", "b", "a"], [("b", "a")], [("c", "a")], hints=hints)
    assert edges == [["a", "c"], ["a", "b"]] and by_prior == []


def test_orientation_cycle_breaking_respects_forbidden_edges() -> None:
    hints = Hints(forbidden=frozenset({("a", "c")}))
    edges, _ = orient_by_order(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")], [], hints=hints)
    assert edges == [["a", "b"], ["b", "c"]]


GRAPH = CausalGraph.model_validate(
    {
        "nodes": ["a", "b", "c"],
        "edges": [["a", "b"], ["b", "c"]],
        "oriented_by_prior": [("a", "b")],
        "edge_stability": [
            {"from": "a", "to": "b", "stability": 0.9, "adjacency_stability": 1.0},
            {"from": "b", "to": "c", "stability": 1.0, "adjacency_stability": 1.0},
        ],
    }
)


def test_edits_add_remove_and_reverse_edges() -> None:
    edits = [
        {"op": "reverse", "from": "a", "to": "b"},
        {"op": "add", "from": "a", "to": "c"},
        {"op": "remove", "from": "b", "to": "c"},
    ]
    edited = edit_graph(GRAPH, edits)
    assert edited.edges == [("a", "c"), ("b", "a")]
    assert edited.oriented_by_prior == [] and [edit.model_dump() for edit in edited.edits] == edits
    assert [item.stability for item in edited.edge_stability or []] == [None, None]
    assert GRAPH.edges == [("a", "b"), ("b", "c")]


@pytest.mark.parametrize(
    ("edits", "hints", "code", "pointer"),
    [
        ([{"op": "add", "from": "c", "to": "a"}], None, "simio_graph_cycle", "/edits/0"),
        (
            [
                {"op": "remove", "from": "a", "to": "b"},
                {"op": "add", "from": "c", "to": "a"},
                {"op": "add", "from": "a", "to": "b"},
            ],
            None,
            "simio_graph_cycle",
            "/edits/2",
        ),
        (
            [{"op": "reverse", "from": "a", "to": "b"}],
            {"tiers": [["a"], ["b", "c"]]},
            "simio_graph_hint_conflict",
            "/edits/0",
        ),
        (
            [{"op": "remove", "from": "b", "to": "c"}],
            {"required": [["b", "c"]]},
            "simio_graph_hint_conflict",
            "/edits/0",
        ),
        ([{"op": "add", "from": "a", "to": "c"}], {"forbidden": [["a", "c"]]}, "simio_graph_hint_conflict", "/edits/0"),
        ([{"op": "add", "from": "a", "to": "z"}], None, "simio_invalid_field", "/edits/0/to"),
        ([{"op": "remove", "from": "a", "to": "c"}], None, "simio_invalid_field", "/edits/0"),
        ([{"op": "add", "from": "b", "to": "a"}], None, "simio_invalid_field", "/edits/0"),
        ([{"op": "flip", "from": "a", "to": "b"}], None, "simio_invalid_field", "/edits/0/op"),
        ([], None, "simio_invalid_field", "/edits"),
    ],
)
def test_bad_edits_are_refused(edits: list, hints: dict | None, code: str, pointer: str) -> None:
    graph = GRAPH.model_copy(update={"hints_applied": hints})
    with pytest.raises(EngineInputError) as caught:
        edit_graph(graph, edits)
    assert (caught.value.code, caught.value.pointer) == (code, pointer)


def test_edits_take_raw_headers_with_the_schema(cleaned: tuple[str, dict], tmp_path: Path) -> None:
    parquet, schema = cleaned
    graph = discover_graph(parquet, schema, bootstrap=0)
    edited = edit_graph(graph, [{"op": "add", "from": "Region", "to": "Awareness"}], schema=schema)
    assert ("region", "awareness") in edited.edges


def test_a_hint_naming_a_dropped_copy_means_the_column_kept() -> None:
    column = {"source_name": "x", "type": "numeric", "missing_share": 0.0}
    schema = CleanedSchema.model_validate(
        {
            "row_count": 100,
            "columns": [{**column, "name": "country"}, {**column, "name": "price"}],
            "renamed": {"Country Code": "country_code"},
            "dropped": [
                {
                    "name": "country_code",
                    "source_name": "Country Code",
                    "reason": "duplicate",
                    "duplicate_of": "country",
                },
                {"name": "respondent_id", "source_name": "ID", "reason": "id_like"},
            ],
        }
    )
    assert resolve_column("Country Code", schema, "/causal_hints/tiers/0/0") == "country"
    assert resolve_column("country_code", schema, "/causal_hints/tiers/0/0") == "country"
    with pytest.raises(EngineInputError, match="id_like"):
        resolve_column("ID", schema, "/causal_hints/tiers/0/0")
