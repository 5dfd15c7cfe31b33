from __future__ import annotations

from pathlib import Path

import networkx as nx

from engine import clean_table, discover_graph
from engine.orientation import orient_by_order


def test_tracker_graph_is_a_dag_with_price_effects(tracker_csv: str, tmp_path: Path) -> None:
    parquet = str(tmp_path / "clean.parquet")
    schema = clean_table(tracker_csv, parquet)
    graph = discover_graph(parquet, schema, seed=3)
    edges = {tuple(edge) for edge in graph["edges"]}
    assert ("price", "purchase_intent") in edges
    assert ("price", "satisfaction") in edges
    assert ("brand", "price") in edges and ("region", "price") in edges
    assert nx.is_directed_acyclic_graph(nx.DiGraph(graph["edges"]))
    assert graph["nodes"][0] == "segment" and graph["rows_used"] == 5000
    assert (graph["algorithm"], graph["test"], graph["alpha"]) == ("pc", "chisq", 0.01)


def test_discovery_subsamples_to_max_rows(tracker_csv: str, tmp_path: Path) -> None:
    parquet = str(tmp_path / "clean.parquet")
    schema = clean_table(tracker_csv, parquet)
    assert discover_graph(parquet, schema, max_rows=1000)["rows_used"] == 1000


def test_undecided_edges_follow_column_order() -> None:
    edges, by_prior = orient_by_order(["a", "b", "c"], [("c", "b")], [("b", "a")])
    assert edges == [["a", "b"], ["c", "b"]]
    assert by_prior == [["a", "b"]]


def test_cycles_are_broken_against_column_order() -> None:
    edges, by_prior = orient_by_order(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")], [])
    assert edges == [["a", "b"], ["a", "c"], ["b", "c"]]
    assert by_prior == [["a", "c"]]
