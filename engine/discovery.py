"""discover_graph: PC structure learning on the cleaned table, oriented to a DAG that honours the hints."""

from __future__ import annotations

import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from causallearn.graph.GraphNode import GraphNode
from causallearn.search.ConstraintBased.PC import pc
from causallearn.utils.PCUtils.BackgroundKnowledge import BackgroundKnowledge

from engine.column_types import NUMERIC_TYPES
from engine.frames import column_names
from engine.hints import Hints, parse_hints
from engine.orientation import orient_by_order
from engine.stability import edge_stability, graph_warnings

ALPHA = 0.01
TEST = "chisq"
# Five quantile bins keep chi-square cells populated under conditioning sets of two or three
# variables at a few thousand rows, while still resolving monotone effects.
BINS = 5
# Unshielded colliders are oriented with MaxP (uc_rule=1): a triple's separating set is the one
# with the largest p-value, not the first found. On binned survey data the first set found is often
# a low-power depth-3 test that misses a confounder, which turns outcomes into causes of
# demographics: on 12 draws of examples/make_tracker.py the default rule did so in 11, MaxP in
# none. Conflicting colliders keep the one with the stronger evidence (uc_priority=3).
COLLIDER_RULE, COLLIDER_PRIORITY = 1, 3
# Bootstrap stability: PC reruns on half-size subsamples (drawn without replacement, as in
# stability selection), stopped early when the time budget is spent. 0.13 s per run on the 5k tracker.
BOOTSTRAP_RESAMPLES, BOOTSTRAP_SECONDS, BOOTSTRAP_MAX_ROWS = 10, 3.0, 5000


def discover_graph(
    parquet_path: str,
    schema: dict,
    *,
    seed: int = 0,
    max_rows: int = 20000,
    hints: dict | Hints | None = None,
    bootstrap: int = BOOTSTRAP_RESAMPLES,
    bootstrap_seconds: float = BOOTSTRAP_SECONDS,
) -> dict:
    """Learn a causal DAG over the schema's columns with PC (chi-square test, alpha 0.01, stable).

    ``hints`` (raw causal_hints or parsed Hints) are handed to PC as background knowledge and are
    honoured by the orientation; ``bootstrap`` resamples (0 turns it off) give each edge a stability.
    """
    hints = parse_hints(hints, schema)
    names = column_names(schema)
    table = pq.read_table(parquet_path, columns=names)
    rng = np.random.default_rng(seed)
    if table.num_rows > max_rows:
        rows = np.sort(rng.choice(table.num_rows, size=max_rows, replace=False))
        table = table.take(pa.array(rows))
    types = {column["name"]: column["type"] for column in schema["columns"]}
    data = np.column_stack([discretise(table[name], types[name]) for name in names])
    knowledge = background_knowledge(hints)
    edges, by_prior = learn(data, names, hints, knowledge)
    started, runs = time.perf_counter(), []
    size = min(data.shape[0] // 2, BOOTSTRAP_MAX_ROWS)
    while len(runs) < bootstrap and size >= 50 and time.perf_counter() - started < bootstrap_seconds:
        rows = rng.choice(data.shape[0], size=size, replace=False)
        runs.append(learn(data[rows], names, hints, knowledge)[0])
    stability = edge_stability(edges, runs)
    return {
        "nodes": names,
        "edges": edges,
        "algorithm": "pc",
        "test": TEST,
        "alpha": ALPHA,
        "rows_used": table.num_rows,
        "oriented_by_prior": by_prior,
        "edge_stability": stability,
        "bootstrap": {"resamples": len(runs), "rows_per_resample": size if runs else 0},
        "hints_applied": None if hints.is_empty() else hints.as_dict(),
        "warnings": graph_warnings(names, edges, by_prior, stability, hints, _missing_required(data, names, hints)),
    }


def learn(
    data: np.ndarray, names: list[str], hints: Hints, knowledge: BackgroundKnowledge | None
) -> tuple[list[list[str]], list[list[str]]]:
    """One PC run oriented to a DAG: (edges, edges oriented by the prior)."""
    result = pc(
        data,
        ALPHA,
        TEST,
        stable=True,
        uc_rule=COLLIDER_RULE,
        uc_priority=COLLIDER_PRIORITY,
        background_knowledge=knowledge,
        node_names=names,
        show_progress=False,
    )
    directed, unoriented = _split_edges(result.G.graph, names)
    return orient_by_order(names, directed, unoriented, hints=hints)


def background_knowledge(hints: Hints) -> BackgroundKnowledge | None:
    """causal-learn's form of the hints: tiers (later -> earlier forbidden), forbidden and required edges."""
    if hints.is_empty():
        return None
    knowledge = BackgroundKnowledge()
    for tier, members in enumerate(hints.tiers):
        for name in members:
            knowledge.add_node_to_tier(GraphNode(name), tier)
    for source, target in sorted(hints.forbidden):
        knowledge.add_forbidden_by_node(GraphNode(source), GraphNode(target))
    for source, target in sorted(hints.required):
        knowledge.add_required_by_node(GraphNode(source), GraphNode(target))
    return knowledge


def discretise(column: pa.ChunkedArray, column_type: str) -> np.ndarray:
    """Integer codes for the chi-square test: quantile bins for numbers, one code per level otherwise."""
    missing = column.is_null().to_numpy(zero_copy_only=False)
    if column_type in NUMERIC_TYPES:
        values = column.to_numpy(zero_copy_only=False).astype(float)
        present = values[~missing]
        if np.unique(present).size <= BINS:
            edges = np.unique(present)[1:]
        else:
            edges = np.unique(np.quantile(present, np.linspace(0, 1, BINS + 1)[1:-1]))
        codes = np.searchsorted(edges, np.where(missing, present.min(), values), side="right")
    else:
        labels = column.cast(pa.string()).fill_null("").to_numpy(zero_copy_only=False)
        _, codes = np.unique(labels, return_inverse=True)
    # Missing answers get a code of their own: missingness can carry signal.
    return np.where(missing, codes.max() + 1, codes).astype(np.int64)


def _missing_required(data: np.ndarray, names: list[str], hints: Hints) -> list[list[str]]:
    # Required edges PC would not have kept: marginally independent at ALPHA.
    from causallearn.utils.cit import CIT

    if not hints.required:
        return []
    test = CIT(data, TEST)
    index = {name: position for position, name in enumerate(names)}
    weak = [[a, b] for a, b in sorted(hints.required) if test(index[a], index[b], []) > ALPHA]
    return weak


def _split_edges(matrix: np.ndarray, names: list[str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    # causal-learn: matrix[j, i] == 1 and matrix[i, j] == -1 means i -> j; equal marks (-1/-1
    # undirected, 1/1 bidirected) mean the data did not decide the direction.
    directed, unoriented = [], []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            if matrix[i, j] == 0 and matrix[j, i] == 0:
                continue
            if matrix[i, j] == -1 and matrix[j, i] == 1:
                directed.append((names[i], names[j]))
            elif matrix[i, j] == 1 and matrix[j, i] == -1:
                directed.append((names[j], names[i]))
            else:
                unoriented.append((names[i], names[j]))
    return directed, unoriented
