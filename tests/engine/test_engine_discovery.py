from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from simulacra.engine import clean_table, discover_graph
from simulacra.engine.checks.hints import Hints, default_roots, demographic_tier
from simulacra.engine.discovery.discover import Choices, learn
from simulacra.engine.discovery.orientation import orient_by_order


def test_tracker_graph_is_a_dag_with_price_effects(tracker_csv: str, tmp_path: Path) -> None:
    parquet = str(tmp_path / "clean.parquet")
    schema = clean_table(tracker_csv, parquet)
    graph = discover_graph(parquet, schema, seed=3)
    edges = {tuple(edge) for edge in graph.edges}
    assert ("price", "purchase_intent") in edges
    assert ("price", "satisfaction") in edges
    assert ("brand", "price") in edges and ("region", "price") in edges
    assert nx.is_directed_acyclic_graph(nx.DiGraph(graph.edges))
    assert graph.nodes[0] == "segment" and graph.rows_used == 5000
    assert (graph.algorithm, graph.test, graph.alpha, graph.max_depth) == ("pc", "gsq", 0.01, 2)


def test_discovery_subsamples_to_max_rows(tracker_csv: str, tmp_path: Path) -> None:
    parquet = str(tmp_path / "clean.parquet")
    schema = clean_table(tracker_csv, parquet)
    assert discover_graph(parquet, schema, max_rows=1000).rows_used == 1000


def test_undecided_edges_follow_column_order() -> None:
    edges, by_prior = orient_by_order(["a", "b", "c"], [], [("b", "a"), ("c", "b")])
    assert edges == [["a", "b"], ["b", "c"]]
    assert by_prior == [["a", "b"], ["b", "c"]]


def test_meek_rules_win_over_column_order() -> None:
    # The data say c -> b; a - b left open. Column order would say a -> b, making a -> b <- c a
    # collider the tests rejected (a and c are not adjacent): Meek's first rule orients b -> a.
    edges, by_prior = orient_by_order(["a", "b", "c"], [("c", "b")], [("b", "a")])
    assert edges == [["b", "a"], ["c", "b"]]
    assert by_prior == []


def test_prior_choices_propagate_without_new_colliders() -> None:
    # A chain a - b - c - d left open, with d first in the prior (a default root): choosing d -> c
    # forces c -> b -> a, where orienting each edge by the prior alone would make b a collider.
    edges, by_prior = orient_by_order(["a", "b", "c", "d"], [], [("a", "b"), ("b", "c"), ("c", "d")], roots=("d",))
    assert sorted(edges) == [["b", "a"], ["c", "b"], ["d", "c"]]
    assert sorted(by_prior) == sorted(edges)


def test_cycles_are_broken_against_column_order() -> None:
    edges, by_prior = orient_by_order(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")], [])
    assert edges == [["a", "b"], ["a", "c"], ["b", "c"]]
    assert by_prior == [["a", "c"]]


def _known_scm(rows: int, seed: int, columns: list[str]) -> pd.DataFrame:
    # age_band -> usage <- promo, usage -> spend: the collider makes every edge identifiable. Usage
    # is a 1-5 answer, so the test's bins hold it exactly (binning a continuous middle node leaves
    # some dependence through it, and PC would keep extra edges around it).
    rng = np.random.default_rng(seed)
    age_band = rng.choice(["18-34", "35-54", "55+"], size=rows)
    promo = rng.random(rows) < 0.4
    usage = np.select([age_band == "18-34", age_band == "35-54"], [3.5, 2.5], 1.5) + 1.2 * promo
    usage = np.clip(np.round(usage + rng.normal(0, 0.8, rows)), 1, 5)
    spend = np.round(3 + 1.5 * usage + rng.normal(0, 1.5, rows), 2)
    frame = pd.DataFrame({"age_band": age_band, "promo": np.where(promo, "yes", "no"), "usage": usage, "spend": spend})
    return frame[columns]


def _discover(tmp_path: Path, frame: pd.DataFrame, **options: object) -> dict:
    csv, parquet = tmp_path / "seed.csv", str(tmp_path / "clean.parquet")
    frame.to_csv(csv, index=False)
    return discover_graph(parquet, clean_table(str(csv), parquet), **options)


def test_recovers_a_known_graph_with_its_directions(tmp_path: Path) -> None:
    graph = _discover(tmp_path, _known_scm(4000, 1, ["spend", "usage", "promo", "age_band"]), bootstrap=0)
    # Column order says spend first; the collider at usage and Meek's rules say otherwise.
    assert sorted(graph.edges) == [("age_band", "usage"), ("promo", "usage"), ("usage", "spend")]
    assert graph.oriented_by_prior == []


def test_demographic_roots_orient_what_the_data_leave_open_with_a_warning(tmp_path: Path) -> None:
    frame = _known_scm(4000, 2, ["spend", "usage", "age_band"])  # a chain: no direction identifiable
    graph = _discover(tmp_path, frame, bootstrap=0)
    assert sorted(graph.edges) == [("age_band", "usage"), ("usage", "spend")]
    assert graph.default_roots == ["age_band"]
    assert sorted(graph.oriented_by_prior) == sorted(graph.edges)
    assert any("age_band look like demographics" in warning for warning in graph.warnings)
    plain = _discover(tmp_path, frame, bootstrap=0, choices=Choices(default_roots=False))
    assert sorted(plain.edges) == [("spend", "usage"), ("usage", "age_band")]  # column order alone
    assert plain.default_roots == []


def test_hints_replace_the_default_roots(tmp_path: Path) -> None:
    frame = _known_scm(4000, 2, ["spend", "usage", "age_band"])
    graph = _discover(tmp_path, frame, bootstrap=0, hints={"tiers": [["spend"], ["usage", "age_band"]]})
    assert graph.default_roots == []
    assert ("spend", "usage") in graph.edges


def test_no_test_can_point_a_column_into_the_demographic_tier() -> None:
    # x -> income <- z is a collider the tests find; the profile tier (no hints given) overrules it, as a hint would.
    rng = np.random.default_rng(3)
    x, z, region = rng.integers(0, 4, 4000), rng.integers(0, 4, 4000), rng.integers(0, 3, 4000)
    data = np.column_stack([x, z, x + z + rng.integers(0, 2, 4000), region])
    names = ["x", "z", "income", "region"]
    assert sorted(map(tuple, learn(data, names, Hints(), None, Choices(demographic_tier=False))[0])) == [
        ("x", "income"),
        ("z", "income"),
    ]
    edges, _, roots = learn(data, names, Hints(), None)
    assert roots == ("income", "region")
    assert sorted(map(tuple, edges)) == [("income", "x"), ("income", "z")]
    # A lone demographic-looking column, or nothing but such columns: no profile block to put first.
    assert demographic_tier(["age", "x"]).is_empty() and demographic_tier(["age", "region"]).is_empty()


def test_data_that_contradict_a_demographic_root_keep_it_out() -> None:
    assert default_roots(["age", "region", "x", "y"], [("x", "age"), ("region", "age")]) == ("region",)


def test_discovery_is_deterministic_under_a_seed(tmp_path: Path) -> None:
    frame = _known_scm(3000, 3, ["age_band", "promo", "usage", "spend"])
    first = _discover(tmp_path, frame, seed=5, max_rows=2000, bootstrap=3)
    second = _discover(tmp_path, frame, seed=5, max_rows=2000, bootstrap=3)
    assert first.edges == second.edges and first.edge_stability == second.edge_stability
