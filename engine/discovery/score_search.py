"""Best order score search (BOSS; Andrews et al. 2023) for tables too wide and entangled for PC.

A battery of ratings driven by one attitude makes nearly every pair of columns dependent, so PC's
skeleton needs a number of independence tests that grows with the square of each column's
neighbourhood (1.7 million for 43 columns at 5,000 rows). A score search never asks those
questions: it moves one column at a time to the place in a causal order where the linear-Gaussian
BIC of the whole DAG is best, and each column's parents are the best-scoring subset of the columns
before it (causal-learn's grow-shrink trees). The BIC is computed from the covariance of the
standardised codes, so the row count costs one matrix product.

This is causal-learn's `boss` loop, rewritten for four reasons:

- the order is shuffled by a seeded generator, not by Python's process-wide `random`;
- hints become constraints of the search: a column never takes a parent the hints forbid (a
  forbidden edge, or a later tier), and never moves out of its tier's place in the order;
- in a table wider than ALL_CANDIDATES_UP_TO columns, each column's candidate parents are the
  MAX_CANDIDATES columns with the largest partial correlation with it (the "sparse candidate" idea
  of Friedman, Nachman and Pe'er 1999): without this, every grow step scores every column, and 300
  columns take hours. It costs precision: on random linear DAGs of 60-100 nodes it added up to 26
  false adjacencies where every column as a candidate added at most one (bench/score_candidates.py),
  so narrower tables keep every column as a candidate (4 s for a 40-column battery at 5,000 rows);
- at most MAX_PARENTS parents per column, so a mechanism stays affordable to fit. A latent attitude
  makes many ratings improve the BIC of each other; on 5,000 rows of a 100-rating battery the
  search without a cap gave at most 9 parents. A cap of 4 was too tight there: purchase intent could
  not take price and enough ratings (its attitude's proxies), so the search made price a child of
  intent and three ratings, edges with no basis in the data.

The result is the DAG's equivalence class (its CPDAG): which of the Markov-equivalent directions the
search happened to pick means nothing, so the caller orients those edges as it orients PC's.
"""

from __future__ import annotations

import numpy as np
from causallearn.graph.GeneralGraph import GeneralGraph
from causallearn.graph.GraphNode import GraphNode
from causallearn.score.LocalScoreFunction import local_score_BIC_from_cov
from causallearn.score.LocalScoreFunctionClass import LocalScoreClass
from causallearn.search.PermutationBased.gst import GST
from causallearn.utils.DAG2CPDAG import dag2cpdag

from simulacra.engine.checks.hints import Hints
from simulacra.engine.discovery.orientation import prior_order

MAX_PARENTS = 8
MAX_CANDIDATES = 16
ALL_CANDIDATES_UP_TO = 60
# Every pass over the columns improves the score or ends the search, so stopping early keeps a good DAG:
# causal-learn's loop took 5 to 7 on the 102-column battery of the benchmark.
MAX_PASSES = 30
# causal-learn's default penalty for BIC in BOSS and GES: twice the textbook BIC's, fewer spurious edges.
PENALTY = 2.0


class _CappedScore(LocalScoreClass):
    """The BIC, minus infinity for a parent set over the cap, so no grow step goes past it."""

    max_parents: int

    def score_nocache(self, i: int, PAi: list[int]) -> float:  # noqa: N803 - causal-learn's signature
        if len(PAi) > self.max_parents:
            return float("-inf")
        return float(super().score_nocache(i, PAi))


class _Tree(GST):
    """A grow-shrink tree that offers only the column's allowed candidates as parents."""

    def __init__(self, vertex: int, score: LocalScoreClass, candidates: list[int]) -> None:
        super().__init__(vertex, score)
        self.candidates = candidates

    def trace(self, prefix: list[int], parents: list[int] | None = None) -> float:
        # GST.trace rebuilds the available columns from a list on every call (quadratic in the width).
        return float(self.root.trace(prefix, list(self.candidates), [] if parents is None else parents))


def standardise(data: np.ndarray) -> np.ndarray:
    values = np.asarray(data, dtype=float)
    spread = values.std(axis=0)
    return (values - values.mean(axis=0)) / np.where(spread > 0, spread, 1.0)


def candidate_parents(data: np.ndarray, count: int) -> list[list[int]]:
    """Per column, the ``count`` columns with the largest absolute partial correlation with it: its likely
    Markov blanket (parents, children and the children's other parents)."""
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant column (in a resample): no correlation
        correlation = np.corrcoef(data, rowvar=False)
    correlation = np.nan_to_num(correlation) + 1e-6 * np.eye(len(correlation))
    precision = np.linalg.pinv(correlation)
    scale = np.sqrt(np.abs(np.diag(precision)))
    partial = np.abs(precision / np.outer(scale, scale))
    np.fill_diagonal(partial, -1.0)
    return [sorted(np.argsort(-row, kind="stable")[:count].tolist()) for row in partial]


def boss_search(
    data: np.ndarray,
    names: list[str],
    hints: Hints,
    *,
    seed: int = 0,
    max_parents: int = MAX_PARENTS,
    max_candidates: int | None = None,
) -> GeneralGraph:
    """BOSS with the BIC on standardised ``data``; returns the CPDAG of the best DAG found.

    ``max_candidates`` None: every column up to ALL_CANDIDATES_UP_TO columns, else MAX_CANDIDATES."""
    values = standardise(data)
    width = len(names)
    nodes = [GraphNode(name) for name in names]
    if width < 2:
        return GeneralGraph(nodes)
    score = _CappedScore(values, local_score_BIC_from_cov, {"lambda_value": PENALTY})
    score.max_parents = max_parents
    tier = [hints.tier_of(name) for name in names]
    if max_candidates is None:
        max_candidates = width - 1 if width <= ALL_CANDIDATES_UP_TO else MAX_CANDIDATES
    candidates = candidate_parents(values, min(max_candidates, width - 1))
    trees = []
    for vertex, offered in enumerate(candidates):
        allowed = [other for other in offered if hints.allows(names[other], names[vertex])]
        # A required edge is a candidate however weak its correlation (the caller adds it if BIC does not).
        allowed += [names.index(a) for a, b in sorted(hints.required) if b == names[vertex]]
        trees.append(_Tree(vertex, score, sorted(set(allowed) - {vertex})))
    # Start from the prior the orientation uses (tiers first, required edges forward, else column order).
    index = {name: vertex for vertex, name in enumerate(names)}
    order = [index[name] for name in prior_order(names, hints)]
    rng = np.random.default_rng(seed)
    for _ in range(MAX_PASSES):
        improved = False
        for vertex in rng.permutation(width).tolist():
            improved |= _move(vertex, order, trees, tier)
        if not improved:
            break
    graph = GeneralGraph(nodes)
    for position, vertex in enumerate(order):
        parents: list[int] = []
        trees[vertex].trace(order[:position], parents)
        for parent in parents:
            graph.add_directed_edge(nodes[parent], nodes[vertex])
    return dag2cpdag(graph)


def _move(vertex: int, order: list[int], trees: list[_Tree], tier: list[int | None]) -> bool:
    """Move ``vertex`` to the place in ``order`` with the best total score (causal-learn's better_mutation),
    among the places its tier allows; True if it moved."""
    here, width = order.index(vertex), len(order)
    scores = np.zeros(width + 1)
    prefix: list[int] = []
    total = 0.0
    for position, other in enumerate(order):
        scores[position] = trees[vertex].trace(prefix) + total
        if other != vertex:
            total += trees[other].trace(prefix)
            prefix.append(other)
    scores[width] = trees[vertex].trace(prefix) + total
    prefix.append(vertex)
    total = 0.0
    for position in range(width - 1, -1, -1):
        other = order[position]
        if other != vertex:
            prefix.remove(other)
            total += trees[other].trace(prefix)
        scores[position] += total
    if tier[vertex] is not None:
        scores[~_tier_allows(vertex, order, tier)] = -np.inf
    best = int(np.argmax(scores[::-1]))
    best = width - best  # the last of equal bests, as causal-learn's strict comparison from the end picks
    if scores[here] + 1e-6 > scores[best]:
        return False
    order.remove(vertex)
    order.insert(best - int(best > here), vertex)
    return True


def _tier_allows(vertex: int, order: list[int], tier: list[int | None]) -> np.ndarray:
    # Place j (just before order[j]) keeps the tiers if no later tier comes before it and no earlier one after.
    own = tier[vertex]
    assert own is not None
    ranks = [tier[other] for other in order if other != vertex]
    later = [int(r is not None and r > own) for r in ranks]
    earlier = [int(r is not None and r < own) for r in ranks]
    # Place k of the order without the vertex: before ranks[k] (k = len(ranks): at the end).
    no_later_before = np.cumsum([0, *later]) == 0
    no_earlier_after = np.cumsum([0, *earlier[::-1]])[::-1] == 0
    allowed = no_later_before & no_earlier_after
    # _move's places j <= here and j > here are places j and j - 1 of the order without the vertex.
    here = order.index(vertex)
    return np.concatenate([allowed[: here + 1], allowed[here:]])
