"""Scores of a learned DAG against the truth: SHD, adjacency precision/recall, orientation precision,
CPDAG-level SHD, and the error of a linear effect estimate adjusted for the treatment's learned parents."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from known_models import structure_scores
from search_methods import Edge, cpdag


def graph_scores(truth: list[Edge], learned: list[Edge], names: list[str]) -> dict[str, float]:
    """SHD (missing + extra + reversed), adjacency precision and recall, the share of correctly adjacent
    learned edges that point the true way, and the SHD between the two graphs' equivalence classes
    (an adjacency wrong, or compelled/reversible status or direction differing, counts one)."""
    shd, _, _ = structure_scores(truth, learned)
    true_pairs, found_pairs = {frozenset(e) for e in truth}, {frozenset(e) for e in learned}
    both = true_pairs & found_pairs
    right_way = sum(1 for edge in learned if tuple(edge) in set(truth))
    return {
        "shd": shd,
        "adj_precision": len(both) / len(found_pairs) if found_pairs else 0.0,
        "adj_recall": len(both) / len(true_pairs) if true_pairs else 1.0,
        "orient_precision": right_way / len(both) if both else float("nan"),
        "cpdag_shd": _cpdag_shd(truth, learned, names),
    }


def _cpdag_shd(truth: list[Edge], learned: list[Edge], names: list[str]) -> int:
    def marks(edges: list[Edge]) -> dict[frozenset[str], object]:
        directed, reversible = cpdag(edges, names)
        return {**{frozenset(e): tuple(e) for e in directed}, **{frozenset(e): "-" for e in reversible}}

    true_marks, found_marks = marks(truth), marks(learned)
    return sum(true_marks.get(pair) != found_marks.get(pair) for pair in set(true_marks) | set(found_marks))


def linear_effect(
    frame: pd.DataFrame, learned: list[Edge], treatment: str, outcome: str, low: object, high: object, level: object
) -> float:
    """A linear proxy of E[outcome | do(high)] - E[outcome | do(low)] under the learned graph: least
    squares of the outcome (or the indicator of ``level``) on the treatment and the treatment's learned
    parents (one-hot when categorical); 0 when the learned graph has no directed path treatment -> outcome."""
    graph = nx.DiGraph(learned)
    if treatment not in graph or outcome not in graph or not nx.has_path(graph, treatment, outcome):
        return 0.0
    parents = sorted(graph.predecessors(treatment))
    y = (frame[outcome].astype(str) == str(level)).astype(float) if level is not None else _number(frame[outcome])
    if _is_numeric(frame[treatment]):
        rows = np.ones(len(frame), bool)
        x, span = _number(frame[treatment]), float(high) - float(low)  # type: ignore[arg-type]
    else:
        labels = frame[treatment].astype(str)
        rows = labels.isin([str(low), str(high)]).to_numpy()
        x, span = (labels == str(high)).astype(float), 1.0
    design = [np.ones(rows.sum()), np.asarray(x)[rows]]
    for parent in parents:
        if _is_numeric(frame[parent]):
            design.append(_number(frame[parent])[rows])
        else:
            dummies = pd.get_dummies(frame[parent].astype(str)[rows], drop_first=True, dtype=float)
            design.extend(dummies.to_numpy().T)
    keep = ~np.isnan(np.asarray(y)[rows])
    matrix = np.column_stack(design)[keep]
    beta = np.linalg.lstsq(matrix, np.asarray(y)[rows][keep], rcond=None)[0]
    return float(beta[1] * span)


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _number(column: pd.Series) -> np.ndarray:
    values = column.astype(float).to_numpy()
    return np.where(np.isnan(values), np.nanmean(values), values)
