"""The validation report on a known SCM (examples/make_tracker.py): the truth passes, wrong graphs do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulacra.engine import clean_table, fit_model
from simulacra.engine.evaluation.validation import falsify_graph, implied_independences, validate_model
from simulacra.engine.records import CausalGraph

# make_tracker's structural equations, in cleaned column names.
TRUE_EDGES = [
    ["segment", "age_band"],
    ["segment", "brand"],
    ["segment", "purchase_intent"],
    ["region", "price"],
    ["brand", "price"],
    ["brand", "awareness"],
    ["age_band", "awareness"],
    ["brand", "satisfaction"],
    ["price", "satisfaction"],
    ["price", "purchase_intent"],
    ["satisfaction", "purchase_intent"],
    ["awareness", "purchase_intent"],
]


@pytest.fixture(scope="module")
def cleaned(tracker_csv: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    parquet = str(tmp_path_factory.mktemp("validation") / "cleaned.parquet")
    return parquet, clean_table(tracker_csv, parquet)


def _graph(edges: list[list[str]], oriented_by_prior: list[list[str]] | None = None) -> CausalGraph:
    nodes = sorted({name for edge in TRUE_EDGES for name in edge})
    return CausalGraph.model_validate({"nodes": nodes, "edges": edges, "oriented_by_prior": oriented_by_prior or []})


def test_local_markov_claims_of_small_graphs() -> None:
    # a -> b -> c implies only c independent of a given b; a complete graph implies nothing.
    assert implied_independences(["a", "b", "c"], [["a", "b"], ["b", "c"]]) == [("c", "a", ["b"])]
    assert implied_independences(["a", "b", "c"], [["a", "b"], ["a", "c"], ["b", "c"]]) == []


def test_true_graph_is_not_falsified_and_fits_held_out_rows(cleaned: tuple[str, dict], tmp_path: Path) -> None:
    parquet, schema = cleaned
    # As discovery would leave it without hints: segment's edges oriented by column order.
    graph = _graph(TRUE_EDGES, oriented_by_prior=[("segment", "brand")])
    fit = fit_model(parquet, schema, graph, str(tmp_path / "model.pkl"))
    # The report as the JSON document the API serves.
    report = validate_model(parquet, schema, graph, fit).model_dump()

    falsification = report["falsification"]
    assert falsification["verdict"].startswith("not falsified"), falsification
    assert not falsification["falsified"]
    assert falsification["tests"] == len(implied_independences([c.name for c in schema.columns], TRUE_EDGES))
    assert falsification["violated_share"] <= falsification["max_violated_share"]
    # Better than every random relabelling of the same shape.
    assert falsification["permutations"]["informative"]
    assert falsification["permutations"]["p_value"] <= 0.05
    # The relabellings' distribution, as the model report draws it, all above the graph's own share.
    shares = falsification["permutations"]["violated_shares"]
    assert len(shares) == falsification["permutations"]["run"] and min(shares) > falsification["violated_share"]

    fidelity = report["held_out_fidelity"]
    assert fidelity["computed"] and fidelity["held_out_rows"] == 1000 and fidelity["train_rows"] == 4000
    assert 0.85 < fidelity["score"] <= 1.0
    # Within sampling noise of what real rows score against real rows.
    assert fidelity["score"] > fidelity["reference"]["score"] - 0.03
    assert len(fidelity["worst_columns"]) == 3 and len(fidelity["worst_pairs"]) == 3
    assert fidelity["worst_columns"][0]["score"] <= fidelity["worst_columns"][-1]["score"]

    # What the model report draws of the held-out rows: every column, shares summing to 1, symmetric matrices.
    figures = report["figures"]
    names = [column.name for column in schema.columns]
    assert [column["column"] for column in figures["columns"]] == names
    assert figures["real_rows"] == figures["synthetic_rows"] == 1000
    for column in figures["columns"]:
        gaps = column["missing_real"] if column["kind"] == "numeric" else 0  # categories show gaps as a level
        assert abs(sum(column["real"]) + gaps - 1) < 0.01, column
        assert len(column["real"]) == len(column["synthetic"]) == len(column["levels"] or column["edges"][1:])
    matrix = figures["associations"]["real"]
    assert figures["associations"]["columns"] == names and all(matrix[i][i] == 1 for i in range(len(names)))
    assert all(matrix[i][j] == matrix[j][i] for i in range(len(names)) for j in range(len(names)))
    # The pairs the true graph joins are associated in both; the model keeps price -> purchase_intent.
    price, intent = names.index("price"), names.index("purchase_intent")
    synthetic = figures["associations"]["synthetic"]
    assert matrix[price][intent] > 0.3 and abs(synthetic[price][intent] - matrix[price][intent]) < 0.1

    nodes = {node["name"]: node for node in report["nodes"]}
    assert list(nodes) == [column.name for column in schema.columns]
    assert nodes["segment"]["metric"] is None and nodes["segment"]["mechanism"] == "empirical"
    assert nodes["price"]["metric"] == "r2" and nodes["price"]["held_out"] > 0.5
    assert nodes["brand"]["metric"] == "log_likelihood"
    # Every column with parents predicts its held-out rows better than its own marginal does.
    for node in nodes.values():
        if node["parents"]:
            assert node["held_out"] > node["baseline"], node
    # The one caveat: a direction that neither the data nor this test can check.
    assert len(report["warnings"]) == 1
    assert report["warnings"][0].startswith("no causal_hints given: the direction of segment -> brand")
    # The robustness section names the same edge, and the hints that would settle it either way.
    [contested] = report["robustness"]["contested_edges"]
    assert (contested["from"], contested["to"], contested["doubt"]) == ("segment", "brand", "direction")
    assert len(contested["settle_with"]) == 2


@pytest.mark.parametrize(
    "edges",
    [
        pytest.param([], id="empty graph on dependent data"),
        pytest.param([[b, a] for a, b in TRUE_EDGES], id="every edge reversed"),
        pytest.param(
            [edge for edge in TRUE_EDGES if edge[0] != "price"] + [["price", "region"]],
            id="price's effects removed, collider reversed",
        ),
    ],
)
def test_wrong_graphs_are_falsified(cleaned: tuple[str, dict], edges: list[list[str]]) -> None:
    parquet, schema = cleaned
    falsification = falsify_graph(parquet, schema, _graph(edges)).model_dump()
    assert falsification["falsified"], falsification
    assert falsification["verdict"].startswith("falsified")
    assert falsification["violated_share"] > falsification["max_violated_share"]
    assert falsification["violations"] and all(v["p_value"] < 0.01 for v in falsification["violations"])


def test_removing_a_key_edge_names_the_broken_independence(cleaned: tuple[str, dict]) -> None:
    parquet, schema = cleaned
    edges = [edge for edge in TRUE_EDGES if edge != ["price", "purchase_intent"]]
    violations = falsify_graph(parquet, schema, _graph(edges)).model_dump()["violations"]
    assert {"column": "purchase_intent", "independent_of": "price"}.items() <= violations[0].items()
