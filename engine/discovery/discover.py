"""discover_graph: structure learning on the cleaned table (PC, or a score search for wide entangled
tables), oriented to a DAG that honours the hints."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from causallearn.graph.GraphNode import GraphNode
from causallearn.utils.PCUtils.BackgroundKnowledge import BackgroundKnowledge

from simulacra.engine.checks.column_types import NUMERIC_TYPES
from simulacra.engine.checks.errors import EngineInputError
from simulacra.engine.checks.hints import Hints, default_roots, demographic_tier, parse_hints
from simulacra.engine.discovery.orientation import orient_by_order
from simulacra.engine.discovery.pc_search import TOO_COMPLEX, estimated_tests, pc_search
from simulacra.engine.discovery.score_search import MAX_PARENTS, boss_search
from simulacra.engine.discovery.stability import edge_stability, graph_warnings
from simulacra.engine.records.graph import Bootstrap, CausalGraph, EdgeStability
from simulacra.engine.records.schema import CleanedSchema

# Five quantile bins keep test cells populated under conditioning sets of two variables at a few
# thousand rows, while still resolving monotone effects.
BINS = 5


@dataclass(frozen=True)
class Choices:
    """The knobs of discovery; the defaults were chosen by bench/discovery_choices.py (docs/benchmarks.md,
    "Choosing the discovery default", SHD and effect paths on five known models).

    - test "gsq": the G-test (likelihood ratio) kept more true edges than chi-square on the trackers
      and tied on the bnlearn networks.
    - max_depth 2: conditioning sets of at most two columns. A G-test given three binned columns
      has thousands of degrees of freedom at 10k rows and too little power: its false
      "independent" deleted true edges and seeded wrong colliders (purchase intent -> price on the
      confounded tracker). Depth 2 lowered SHD on the confounded tracker and insurance and tied on
      the other three; depth 1 cannot separate through two parents and was far worse.
    - collider_rule 2 (definite MaxP, uc_priority 3): MaxP picks a triple's separating set by the
      largest p-value, not the first found (the first-found rule made outcomes causes of
      demographics in 11 of 12 draws of examples/make_tracker.py, MaxP in none); the definite
      variant makes a triple a collider only when no test that conditions on its middle column
      separates the two ends; conflicts keep the stronger evidence. It halved the reversed edges
      on insurance and tied elsewhere.
    - default_roots: without hints, demographic-looking columns no test contradicts go first in the
      prior that orients what the data leave open (engine.checks.hints.default_roots; warned about).
    - demographic_tier (with default_roots): without hints, a profile block of at least two
      demographic-looking columns forms a first tier instead, handed to PC as background knowledge,
      so no test's collider can point another column into them (engine.checks.hints.demographic_tier).
      On ten development draws of the confounded tracker false colliders made price, brand or
      purchase intent causes of income_band in 7, losing the confounder; the tier cut their summed SHD
      from 98 to 67, turned 6 of 10 wrong-signed price effects on fresh draws into none, and ties on
      the five bench datasets (docs/benchmarks.md, "Effect intervals over the graph").
    - search "auto": PC where its skeleton is affordable, BOSS (engine.discovery.score_search) where the
      estimate of PC's tests (pc_search.estimated_tests, from correlations, milliseconds) passes a quarter
      of max_tests. The five bench models estimate 340 to 14 thousand tests and keep PC; a battery of 40
      ratings driven by one attitude estimates 1.3 million (PC: 1.7 million, then a refusal), and BOSS
      learns 100 such columns at 5,000 rows in seconds (docs/benchmarks.md, "Wide survey batteries").
      If PC still runs past its budget, "auto" falls back to BOSS rather than refusing.
    """

    test: str = "gsq"
    alpha: float = 0.01
    max_depth: int | None = 2
    collider_rule: int = 2
    collider_priority: int = 3
    default_roots: bool = True
    demographic_tier: bool = True
    # About a minute of G-tests at 5,000 rows on this machine. The 27-column insurance network needs
    # 15 thousand, a 23-column battery of ratings driven by one attitude 120 thousand, a 43-column one
    # 1.7 million (docs/benchmarks.md, "Wide survey batteries").
    max_tests: int = 500_000
    search: str = "auto"  # "pc", "boss" or "auto"
    max_parents: int = MAX_PARENTS  # BOSS only: a latent attitude would otherwise give every rating many parents


DEFAULT = Choices()
SEARCHES = ("pc", "boss", "auto")
# "auto" runs PC when its estimated tests are under this share of the budget: the estimate runs low.
PC_SHARE_OF_BUDGET = 4
# Bootstrap stability: PC reruns on half-size subsamples (drawn without replacement, as in
# stability selection), stopped early when the time budget is spent. 0.13 s per run on the 5k tracker.
BOOTSTRAP_RESAMPLES, BOOTSTRAP_SECONDS, BOOTSTRAP_MAX_ROWS, BOOTSTRAP_SKIP_FACTOR = 10, 3.0, 5000, 10


def discover_graph(
    parquet_path: str,
    schema: CleanedSchema,
    *,
    seed: int = 0,
    max_rows: int = 20000,
    hints: dict[str, Any] | Hints | None = None,
    bootstrap: int = BOOTSTRAP_RESAMPLES,
    bootstrap_seconds: float = BOOTSTRAP_SECONDS,
    choices: Choices = DEFAULT,
) -> CausalGraph:
    """Learn a causal DAG over the schema's columns with stable PC (G-test on binned numbers, alpha 0.01,
    conditioning sets of up to two columns), or with BOSS where PC would be too costly (see Choices).

    ``hints`` (raw causal_hints or parsed Hints) are handed to PC as background knowledge, shape BOSS's
    order and candidate parents, and are honoured by the orientation; ``bootstrap`` resamples (0 turns
    it off) give each edge a stability.
    Without hints, two or more demographic-looking columns form a first tier (``demographic_tier``), and
    otherwise demographic-looking columns the data do not contradict are taken as causes where the data
    leave a direction open (``default_roots``); either comes with a warning.
    """
    hints = parse_hints(hints, schema)
    names = schema.names
    table = pq.read_table(parquet_path, columns=names)
    rng = np.random.default_rng(seed)
    if table.num_rows > max_rows:
        rows = np.sort(rng.choice(table.num_rows, size=max_rows, replace=False))
        table = table.take(pa.array(rows))
    types = schema.types
    data = np.column_stack([discretise(table[name], types[name]) for name in names])
    knowledge = background_knowledge(hints)
    learning = time.perf_counter()
    search, (edges, by_prior, roots) = search_graph(data, names, hints, knowledge, choices)
    # Resamples run the search the full table needed, without estimating (or falling back) again.
    choices = replace(choices, search=search)
    started, runs = time.perf_counter(), list[list[list[str]]]()
    # The budget is checked between resamples: after a search this slow, one resample would overrun it tenfold.
    if started - learning > BOOTSTRAP_SKIP_FACTOR * bootstrap_seconds:
        bootstrap = 0
    size = min(data.shape[0] // 2, BOOTSTRAP_MAX_ROWS)
    while len(runs) < bootstrap and size >= 50 and time.perf_counter() - started < bootstrap_seconds:
        rows = rng.choice(data.shape[0], size=size, replace=False)
        try:
            runs.append(learn(data[rows], names, hints, knowledge, choices)[0])
        except EngineInputError as exc:
            if exc.code != TOO_COMPLEX:
                raise
            break  # a resample over the test budget: the graph stands, with the stability measured so far
    stability = edge_stability(edges, runs)
    return CausalGraph(
        nodes=names,
        edges=[(a, b) for a, b in edges],
        algorithm=search,
        test=choices.test if search == "pc" else None,
        alpha=choices.alpha if search == "pc" else None,
        max_depth=choices.max_depth if search == "pc" else None,
        rows_used=table.num_rows,
        oriented_by_prior=[(a, b) for a, b in by_prior],
        default_roots=list(roots),
        edge_stability=[EdgeStability.model_validate(item) for item in stability],
        bootstrap=Bootstrap(resamples=len(runs), rows_per_resample=size if runs else 0),
        hints_applied=None if hints.is_empty() else hints.as_dict(),
        warnings=_search_warnings(search, names, edges, choices.max_parents)
        + graph_warnings(
            names,
            edges,
            by_prior,
            stability,
            hints,
            _missing_required(data, names, hints, choices),
            roots,
            tiered=bool(profile_tier(names, hints, choices).tiers),
        ),
    )


def learn(
    data: np.ndarray,
    names: list[str],
    hints: Hints,
    knowledge: BackgroundKnowledge | None,
    choices: Choices = DEFAULT,
) -> tuple[list[list[str]], list[list[str]], tuple[str, ...]]:
    """One search oriented to a DAG: (edges, edges oriented by the prior, default roots used)."""
    return search_graph(data, names, hints, knowledge, choices)[1]


def search_graph(
    data: np.ndarray,
    names: list[str],
    hints: Hints,
    knowledge: BackgroundKnowledge | None,
    choices: Choices = DEFAULT,
) -> tuple[str, tuple[list[list[str]], list[list[str]], tuple[str, ...]]]:
    """learn's result with the search that produced it ("pc" or "boss"), "auto" resolved as Choices says."""
    if choices.search not in SEARCHES:
        raise ValueError(f"unknown search {choices.search!r}: one of {', '.join(SEARCHES)}")
    profile = profile_tier(names, hints, choices)
    if profile.tiers:
        hints, knowledge = profile, background_knowledge(profile)
    # Without hints the prior's roots are the profile tier when there is one, else the default roots.
    roots = profile.tiers[0] if profile.tiers else None
    search = choices.search
    if search == "auto":
        expected = estimated_tests(data, choices.alpha, choices.max_depth)
        search = "pc" if expected * PC_SHARE_OF_BUDGET <= choices.max_tests else "boss"
    if search == "pc":
        try:
            return "pc", _oriented(run_pc(data, names, knowledge, choices), names, hints, choices, roots)
        except EngineInputError as exc:
            if exc.code != TOO_COMPLEX or choices.search != "auto":
                raise
    cpdag = boss_search(data, names, hints, max_parents=choices.max_parents)
    return "boss", _oriented(cpdag, names, hints, choices, roots)


def run_pc(
    data: np.ndarray, names: list[str], knowledge: BackgroundKnowledge | None, choices: Choices = DEFAULT
) -> Any:
    """pc_search with the settings of ``choices`` (causal-learn's CausalGraph: the CPDAG in .G, sepsets)."""
    return pc_search(
        data,
        names,
        test=choices.test,
        alpha=choices.alpha,
        max_depth=choices.max_depth,
        collider_rule=choices.collider_rule,
        collider_priority=choices.collider_priority,
        knowledge=knowledge,
        max_tests=choices.max_tests,
    )


def _oriented(
    result: Any, names: list[str], hints: Hints, choices: Choices, roots: tuple[str, ...] | None
) -> tuple[list[list[str]], list[list[str]], tuple[str, ...]]:
    # PC's graph sits in result.G; BOSS returns the CPDAG itself. Both go through the same orientation,
    # which is also where BOSS's forbidden and required edges are enforced (tiers already shaped its order).
    directed, unoriented = split_edges(getattr(result, "G", result).graph, names)
    if roots is None:
        roots = default_roots(names, directed) if hints.is_empty() and choices.default_roots else ()
    return (*orient_by_order(names, directed, unoriented, hints=hints, roots=roots), roots)


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
    """Integer codes for the G-test (and chi-square): quantile bins for numbers, one code per level otherwise."""
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


def profile_tier(names: list[str], hints: Hints, choices: Choices = DEFAULT) -> Hints:
    """The demographic profile tier discovery adds as hints (engine.checks.hints.demographic_tier), or none.

    Only without the user's hints: a user's tiers always win over the guess from column names."""
    if hints.is_empty() and choices.default_roots and choices.demographic_tier:
        return demographic_tier(names)
    return Hints()


def _search_warnings(search: str, names: list[str], edges: list[list[str]], max_parents: int) -> list[str]:
    if search != "boss":
        return []
    return [
        f"these {len(names)} columns are so interdependent that testing independence (PC) would take too long, so "
        f"the graph was learned by a score search (BOSS, linear BIC, at most {max_parents} parents per "
        f"column; {len(edges)} edges): a battery of ratings driven by one attitude comes out densely connected. "
        "Merge such a battery into one score, or give causal_hints tiers, for a graph that is easier to read"
    ]


def _missing_required(data: np.ndarray, names: list[str], hints: Hints, choices: Choices) -> list[list[str]]:
    # Required edges PC would not have kept: marginally independent at alpha.
    from causallearn.utils.cit import CIT

    if not hints.required:
        return []
    independence = CIT(data, choices.test)
    index = {name: position for position, name in enumerate(names)}
    weak = [[a, b] for a, b in sorted(hints.required) if independence(index[a], index[b], []) > choices.alpha]
    return weak


def split_edges(matrix: np.ndarray, names: list[str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A causal-learn graph matrix as (directed, unoriented) edges over ``names``."""
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
