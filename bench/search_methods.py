"""The structure-learning searches bench/search_families.py compares, each a function table -> partial graph.

A method returns (directed, unoriented) edges over the cleaned columns: a CPDAG, or a DAG with nothing
unoriented. The runner orients every answer with the engine's own ``orient_by_order`` (no hints, the
default roots as discovery uses them), so all methods are scored as the DAG the product would use.

Inputs are the cleaned table as the engine reads it: ``codes`` are discretise()'s integer codes (what
the default's G-test sees); ``numeric`` is the Gaussian-score view, numbers as they are and categorical
columns as their codes, each column standardised (missing values at the column's mean).

Adding a search is one line in METHODS, e.g. an engine variant: ``"engine BOSS": engine(Choices(search="boss"))``.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from itertools import permutations

import networkx as nx
import numpy as np
import pyarrow.parquet as pq

from simulacra.engine.checks.column_types import NUMERIC_TYPES
from simulacra.engine.checks.hints import Hints
from simulacra.engine.discovery.discover import DEFAULT, Choices, discretise, learn, run_pc, split_edges
from simulacra.engine.records import CleanedSchema

Edge = tuple[str, str]
Partial = tuple[list[Edge], list[Edge]]  # (directed, unoriented)
BIC_PENALTY = 0.5  # lambda in causal-learn's BIC: 0.5 * log(n) per parameter, the textbook BIC


@dataclass
class Table:
    names: list[str]
    codes: np.ndarray
    numeric: np.ndarray
    is_number: list[bool]


def load_table(parquet: str, schema: CleanedSchema) -> Table:
    names, types = schema.names, schema.types
    table = pq.read_table(parquet, columns=names)
    codes = np.column_stack([discretise(table[name], types[name]) for name in names])
    columns = []
    for position, name in enumerate(names):
        if types[name] in NUMERIC_TYPES:
            values = table[name].to_numpy(zero_copy_only=False).astype(float)
            values = np.where(np.isnan(values), np.nanmean(values), values)
        else:
            values = codes[:, position].astype(float)
        columns.append((values - values.mean()) / (values.std() or 1.0))
    return Table(names, codes, np.column_stack(columns), [types[name] in NUMERIC_TYPES for name in names])


def engine(choices: Choices = DEFAULT) -> Callable[[Table, int], Partial]:
    """The product's discovery (engine.discovery.discover.learn) on the discretised codes, no hints."""

    def run(table: Table, seed: int) -> Partial:
        edges, _, _ = learn(table.codes, table.names, Hints(), None, choices)
        return [(a, b) for a, b in edges], []

    return run


def pc_fisherz(table: Table, seed: int) -> Partial:
    """The engine's bounded PC (depth 2, definite MaxP, same test budget) with Fisher's z on the numeric view."""
    graph = run_pc(table.numeric, table.names, None, Choices(test="fisherz"))
    return split_edges(graph.G.graph, table.names)


def ges_bic(table: Table, seed: int) -> Partial:
    from causallearn.search.ScoreBased.GES import ges

    record = ges(table.numeric, score_func="local_score_BIC_from_cov", parameters={"lambda_value": BIC_PENALTY})
    return split_edges(record["G"].graph, table.names)


def boss_bic(table: Table, seed: int) -> Partial:
    from causallearn.search.PermutationBased.BOSS import boss

    random.seed(seed)  # BOSS shuffles its variables with the random module
    graph = boss(table.numeric, "local_score_BIC_from_cov", {"lambda_value": BIC_PENALTY}, verbose=False)
    return split_edges(graph.graph, table.names)


def grasp_bic(table: Table, seed: int) -> Partial:
    from causallearn.search.PermutationBased.GRaSP import grasp

    random.seed(seed)
    np.random.seed(seed)
    graph = grasp(table.numeric, "local_score_BIC_from_cov", parameters={"lambda_value": BIC_PENALTY}, verbose=False)
    return split_edges(graph.graph, table.names)


def skeleton_bic(table: Table, seed: int) -> Partial:
    """The default's PC skeleton (G-test on codes, depth 2), oriented by a BIC hill climb that may only
    add, remove or reverse edges of that skeleton; the climb's DAG is handed on as its CPDAG."""
    graph = run_pc(table.codes, table.names, None)
    directed, unoriented = split_edges(graph.G.graph, table.names)
    index = {name: position for position, name in enumerate(table.names)}
    allowed = [(index[a], index[b]) for a, b in directed + unoriented]
    dag = hill_climb(np.cov(table.numeric.T, ddof=0), len(table.numeric), allowed)
    return cpdag([(table.names[a], table.names[b]) for a, b in dag], table.names)


def bootstrap_consensus(table: Table, seed: int, resamples: int = 10, keep: float = 0.5) -> Partial:
    """The default on ``resamples`` half-size subsamples; adjacencies found in >= ``keep`` of them,
    each pointed the way most runs pointed it."""
    rng = np.random.default_rng(seed)
    votes: Counter[Edge] = Counter()
    for _ in range(resamples):
        rows = rng.choice(len(table.codes), size=len(table.codes) // 2, replace=False)
        edges, _, _ = learn(table.codes[rows], table.names, Hints(), None, DEFAULT)
        votes.update((a, b) for a, b in edges)
    pairs = {frozenset(edge) for edge in votes}
    kept = []
    for pair in pairs:
        a, b = sorted(pair)
        if votes[(a, b)] + votes[(b, a)] >= keep * resamples:
            kept.append((a, b) if votes[(a, b)] >= votes[(b, a)] else (b, a))
    return kept, []


def battery_aware(table: Table, seed: int, least: int = 5, density: float = 0.3) -> Partial:
    """The default with a proxy for each battery's latent attitude. A battery: >= ``least`` numeric
    columns on the same few-point scale whose mean absolute correlation with the rest of the group is
    at least ``density``. Its first principal component joins the table (binned like any number, and
    first in the column order, so what the data leave open points away from it); the search runs,
    and the proxy's edges are dropped from the answer."""
    scales: dict[int, list[int]] = {}
    for position, number in enumerate(table.is_number):
        levels = len(np.unique(table.codes[:, position]))
        if number and 3 <= levels <= 7:
            scales.setdefault(levels, []).append(position)
    proxies = []
    for members in scales.values():
        if len(members) < least:
            continue
        correlation = np.abs(np.corrcoef(table.numeric[:, members].T))
        dense = [
            m for m, row in zip(members, correlation, strict=True) if (row.sum() - 1) / (len(members) - 1) >= density
        ]
        if len(dense) >= least:
            block = table.numeric[:, dense]
            _, _, axes = np.linalg.svd(block - block.mean(axis=0), full_matrices=False)
            proxies.append(block @ axes[0] * np.sign(axes[0].sum()))
    if not proxies:
        return engine(DEFAULT)(table, seed)
    names = [f"battery_proxy_{number}" for number in range(len(proxies))]
    codes = np.column_stack(
        [np.searchsorted(np.quantile(p, [0.2, 0.4, 0.6, 0.8]), p, side="right") for p in proxies] + [table.codes]
    )
    edges, _, _ = learn(codes, names + table.names, Hints(), None, DEFAULT)
    return [(a, b) for a, b in edges if a not in names and b not in names], []


METHODS: dict[str, Callable[[Table, int], Partial]] = {
    "default (engine DEFAULT)": engine(DEFAULT),
    # The default before issue 15's search work: PC only (wide tables refused), no profile tier.
    "previous default (PC, no profile tier)": engine(Choices(search="pc", demographic_tier=False)),
    "engine PC": engine(Choices(search="pc")),
    "engine BOSS": engine(Choices(search="boss")),
    "PC fisherz": pc_fisherz,
    "GES BIC": ges_bic,
    "BOSS BIC": boss_bic,
    "GRaSP BIC": grasp_bic,
    "PC skeleton + BIC": skeleton_bic,
    "bootstrap consensus": bootstrap_consensus,
    "battery proxy + default": battery_aware,
}


def local_bic(cov: np.ndarray, n: int, node: int, parents: tuple[int, ...]) -> float:
    """causal-learn's linear-Gaussian BIC of one node given its parents (higher is better)."""
    variance = cov[node, node]
    if parents:
        between = cov[np.ix_([node], parents)]
        variance = float((variance - between @ np.linalg.pinv(cov[np.ix_(parents, parents)]) @ between.T).item())
    return -0.5 * n * (1 + np.log(max(variance, np.finfo(float).eps))) - BIC_PENALTY * (len(parents) + 1) * np.log(n)


def hill_climb(cov: np.ndarray, n: int, allowed: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Greedy BIC search over DAGs whose edges lie on ``allowed`` pairs: best single add/remove/reverse
    until none improves the score."""
    parents: dict[int, set[int]] = {node: set() for node in range(len(cov))}
    cache: dict[tuple[int, tuple[int, ...]], float] = {}

    def score(node: int, chosen: set[int]) -> float:
        key = (node, tuple(sorted(chosen)))
        if key not in cache:
            cache[key] = local_bic(cov, n, node, key[1])
        return cache[key]

    graph = nx.DiGraph()
    graph.add_nodes_from(parents)
    while True:
        moves = []
        for a, b in (pair for edge in allowed for pair in permutations(edge)):
            if a in parents[b]:
                removed = score(b, parents[b] - {a}) - score(b, parents[b])
                moves.append((removed, "remove", a, b))
                moves.append((removed + score(a, parents[a] | {b}) - score(a, parents[a]), "reverse", a, b))
            elif b not in parents[a]:
                moves.append((score(b, parents[b] | {a}) - score(b, parents[b]), "add", a, b))
        for gain, move, a, b in sorted(moves, reverse=True):
            if gain <= 1e-9:
                return [(a, b) for b in parents for a in parents[b]]
            if move == "remove":
                parents[b].discard(a)
                graph.remove_edge(a, b)
                break
            if move == "add" and not nx.has_path(graph, b, a):  # a -> b must not close a cycle
                parents[b].add(a)
                graph.add_edge(a, b)
                break
            if move == "reverse":
                graph.remove_edge(a, b)
                if not nx.has_path(graph, a, b):  # nor may b -> a
                    parents[b].discard(a)
                    parents[a].add(b)
                    graph.add_edge(b, a)
                    break
                graph.add_edge(a, b)
        else:
            return [(a, b) for b in parents for a in parents[b]]


def cpdag(edges: list[Edge], names: list[str]) -> Partial:
    """The DAG's Markov equivalence class: (compelled edges, reversible edges)."""
    from causallearn.graph.Dag import Dag
    from causallearn.graph.GraphNode import GraphNode
    from causallearn.utils.DAG2CPDAG import dag2cpdag

    nodes = {name: GraphNode(name) for name in names}
    dag = Dag(list(nodes.values()))
    for a, b in edges:
        dag.add_directed_edge(nodes[a], nodes[b])
    return split_edges(dag2cpdag(dag).graph, names)
