"""Wide survey batteries: discovery stays bounded in work and memory (a score search where PC would be too
costly), or refuses with a code that says why; the score search honours the hints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from causallearn.graph.GraphClass import CausalGraph

from simulacra.engine import clean_table, discover_graph
from simulacra.engine.checks.errors import EngineInputError
from simulacra.engine.checks.hints import Hints
from simulacra.engine.discovery.discover import Choices, discretise, learn, search_graph
from simulacra.engine.discovery.pc_search import _DepthBoundedGraph, estimated_tests
from simulacra.engine.discovery.score_search import boss_search
from simulacra.engine.uncertainty.rediscover import discovery_choices


def battery(rows: int, ratings: int, seed: int = 0) -> pd.DataFrame:
    """A tracker whose five-point ratings all follow one unobserved attitude (and each the one before)."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(["loyal", "switcher", "value", "premium"], size=rows)
    price = rng.choice([4.49, 4.99, 5.49, 5.99], size=rows)
    attitude = rng.normal(size=rows) + 0.8 * (segment == "premium")
    columns: dict[str, object] = {"segment": segment, "price": price}
    previous = np.zeros(rows)
    for index in range(ratings):
        previous = 0.9 * attitude + 0.3 * previous + rng.normal(scale=0.8, size=rows)
        columns[f"q{index + 1:02d}"] = np.clip(np.round(3 + previous), 1, 5).astype(int)
    intent = 3 + 0.8 * attitude - 1.2 * (price - 4.99) + rng.normal(scale=0.7, size=rows)
    columns["purchase_intent"] = np.clip(np.round(intent), 1, 5).astype(int)
    return pd.DataFrame(columns)


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, object]:
    folder = tmp_path_factory.mktemp("wide")
    battery(200, 58).to_csv(folder / "battery.csv", index=False)
    parquet = str(folder / "battery.parquet")
    return parquet, clean_table(str(folder / "battery.csv"), parquet)


def test_a_sixty_column_battery_is_learned_by_the_score_search(wide: tuple[str, object]) -> None:
    # PC on this table needed most of its test budget (29 s); its cost estimate now sends it to BOSS.
    parquet, schema = wide
    graph = discover_graph(parquet, schema, bootstrap=0)  # type: ignore[arg-type]
    assert len(graph.nodes) == 61 and graph.edges
    assert (graph.algorithm, graph.test) == ("boss", None)
    assert "learned by a score search (BOSS" in graph.warnings[0]
    parents: dict[str, int] = {}
    for _, target in graph.edges:
        parents[target] = parents.get(target, 0) + 1
    assert max(parents.values()) <= Choices().max_parents
    assert discovery_choices(graph).search == "boss"  # effect intervals rediscover with the same search


def test_a_pc_search_past_the_test_budget_is_refused_with_what_to_do(wide: tuple[str, object]) -> None:
    parquet, schema = wide
    with pytest.raises(EngineInputError) as refusal:
        choices = Choices(search="pc", max_tests=5_000)
        discover_graph(parquet, schema, bootstrap=0, choices=choices)  # type: ignore[arg-type]
    assert refusal.value.code == "simio_model_too_complex"
    assert "these 61 columns needs more than 5,000 independence tests" in refusal.value.detail
    assert "Merge such a battery into one score" in refusal.value.detail


def test_separating_sets_are_held_to_the_search_depth() -> None:
    graph = CausalGraph(14, [f"x{i}" for i in range(14)])  # complete: every column has 13 neighbours
    graph.__class__ = _DepthBoundedGraph
    graph.max_depth = 2
    sets = graph.find_cond_sets(0, 1)
    assert max(len(s) for s in sets) == 2 and len(sets) == len(set(sets))
    # The empty set, 14 single columns and 90 pairs drawn within either neighbourhood; the power sets have 16,383.
    assert len(sets) == 1 + 14 + 90


@pytest.fixture(scope="module")
def codes() -> tuple[np.ndarray, list[str]]:
    import pyarrow as pa

    frame = battery(400, 7, seed=1)
    names = list(frame.columns)
    types = {name: "categorical" if name == "segment" else "numeric" for name in names}
    return np.column_stack([discretise(pa.chunked_array([frame[n].to_numpy()]), types[n]) for n in names]), names


def test_the_score_search_keeps_tiers_and_forbidden_edges_and_adds_required_ones(
    codes: tuple[np.ndarray, list[str]],
) -> None:
    data, names = codes
    ratings = tuple(name for name in names if name.startswith("q"))
    hints = Hints(
        tiers=(("purchase_intent",), ratings),  # backwards on purpose: intent first
        forbidden=frozenset({("q01", "q02"), ("q02", "q01")}),
        required=frozenset({("segment", "price")}),
    )
    edges = learn(data, names, hints, None, Choices(search="boss"))[0]
    assert edges and all(hints.allows(a, b) for a, b in edges)
    assert not any(a in ratings and b == "purchase_intent" for a, b in edges)
    assert {("q01", "q02"), ("q02", "q01")}.isdisjoint(map(tuple, edges))
    assert ["segment", "price"] in edges  # independent in the data, kept because it was required
    unhinted = {tuple(edge) for edge in learn(data, names, Hints(), None, Choices(search="boss"))[0]}
    assert {("q01", "q02"), ("q02", "q01")} & unhinted  # the data want the edge the hints forbade


def test_auto_keeps_pc_on_a_narrow_table_and_the_search_name_is_checked(codes: tuple[np.ndarray, list[str]]) -> None:
    data, names = codes
    assert search_graph(data, names, Hints(), None, Choices())[0] == "pc"
    with pytest.raises(ValueError, match="unknown search 'ges'"):
        search_graph(data, names, Hints(), None, Choices(search="ges"))


def test_auto_falls_back_to_the_score_search_when_pc_passes_its_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa

    from simulacra.engine.discovery import discover

    frame = battery(1000, 9, seed=1)
    names = list(frame.columns)
    kinds = {name: "categorical" if name == "segment" else "numeric" for name in names}
    data = np.column_stack([discretise(pa.chunked_array([frame[n].to_numpy()]), kinds[n]) for n in names])
    # The estimate runs a little low on this table: a budget of exactly the estimate lets "auto" start
    # PC, which then passes the budget.
    budget = estimated_tests(data, 0.01, 2)
    monkeypatch.setattr(discover, "PC_SHARE_OF_BUDGET", 1)
    assert search_graph(data, names, Hints(), None, Choices(max_tests=budget))[0] == "boss"
    with pytest.raises(EngineInputError):
        search_graph(data, names, Hints(), None, Choices(search="pc", max_tests=budget))


def test_a_constant_column_in_a_resample_neither_warns_nor_gets_an_edge() -> None:
    # A rare level can leave a column constant in a bootstrap resample; pytest turns numpy's warning into an error.
    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, 300)
    data = np.column_stack([x, x + rng.integers(0, 2, 300), np.zeros(300, dtype=np.int64)])
    assert estimated_tests(data, 0.01, 2) >= 3
    graph = boss_search(data, ["a", "b", "c"], Hints())
    assert graph.get_adjacent_nodes(graph.get_node("c")) == []
