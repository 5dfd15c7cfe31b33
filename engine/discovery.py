"""discover_graph: PC structure learning on the cleaned table, oriented to a DAG."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from causallearn.search.ConstraintBased.PC import pc

from engine.column_types import NUMERIC_TYPES
from engine.frames import column_names
from engine.orientation import orient_by_order

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


def discover_graph(parquet_path: str, schema: dict, *, seed: int = 0, max_rows: int = 20000) -> dict:
    """Learn a causal DAG over the schema's columns with PC (chi-square test, alpha 0.01, stable)."""
    names = column_names(schema)
    table = pq.read_table(parquet_path, columns=names)
    if table.num_rows > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(table.num_rows, size=max_rows, replace=False))
        table = table.take(pa.array(rows))
    types = {column["name"]: column["type"] for column in schema["columns"]}
    data = np.column_stack([discretise(table[name], types[name]) for name in names])
    result = pc(
        data, ALPHA, TEST, stable=True, uc_rule=COLLIDER_RULE, uc_priority=COLLIDER_PRIORITY, show_progress=False
    )
    directed, unoriented = _split_edges(result.G.graph, names)
    edges, by_prior = orient_by_order(names, directed, unoriented)
    return {
        "nodes": names,
        "edges": edges,
        "algorithm": "pc",
        "test": TEST,
        "alpha": ALPHA,
        "rows_used": table.num_rows,
        "oriented_by_prior": by_prior,
    }


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
