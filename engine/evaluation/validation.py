"""validate_model: what "validated" means for a fitted model, in three checks a data scientist can redo.

1. Held-out fidelity. The same graph is refitted (mechanism selection included) on the rows left after
   holding out HOLDOUT_SHARE of them (at most HOLDOUT_MAX_ROWS); as many rows as were held out are
   sampled from that model and scored against the held-out rows with engine.evaluation.fidelity's quality report
   (column shapes = marginals, column pair trends = pairwise associations). The same report of an
   equally large sample of the training rows against the held-out rows is the real-vs-real reference:
   what real rows score at this size (sampling noise keeps it below 1; a model may land a little above).
2. Per-node fit. Each column's mechanism and the held-out score that engine.model.selection chose it by
   (R^2 for continuous columns; mean log-likelihood per row, in nats, for discrete ones, beside the
   log-likelihood of the column's own marginal shares: what ignoring the parents would score).
3. Graph falsification. The local Markov condition: the graph implies that each column is
   independent of every column that is neither its descendant nor its parent, given its parents.
   Each implied independence is tested with the test and alpha discovery recorded in the graph
   (on binned numbers) on at most FALSIFY_ROWS rows (for a wide graph, on a random MAX_CLAIMS of them).
   The graph is falsified when more than MAX_VIOLATED_SHARE of them are rejected, or when it does no
   better than random relabellings of its own nodes (the permutation baseline of Eulig et al. 2023,
   which dowhy.gcm.falsify_graph implements with slower kernel tests).

MAX_VIOLATED_SHARE is a tolerance, calibrated on the known models in examples/: binning a continuous
parent into a few bins leaves some dependence through it, so the true graphs there see 12-15% of their
implied independences rejected at 2,000 to 10,000 rows, and graphs with reversed, missing or no
edges 39-86%. It judges the graph as a whole: one wrong edge among many right ones can stay under
the tolerance, and then shows among the rejected tests listed in ``violations``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from causallearn.utils.cit import CIT
from threadpoolctl import threadpool_limits

from simulacra.engine.checks.conditions import parse_conditions
from simulacra.engine.discovery.discover import DEFAULT, discretise
from simulacra.engine.evaluation.fidelity import quality_report
from simulacra.engine.evaluation.figures import validation_figures
from simulacra.engine.frames import model_frame
from simulacra.engine.model.fit import fit_model
from simulacra.engine.model.fit_sample import FitRows
from simulacra.engine.model.model_file import load_model
from simulacra.engine.records.figures import ValidationFigures
from simulacra.engine.records.fit import FitReport, Metric
from simulacra.engine.records.graph import CausalGraph, Edge
from simulacra.engine.records.schema import CleanedSchema
from simulacra.engine.records.validation import (
    Falsification,
    HeldOutFidelity,
    NodeFit,
    ValidationReport,
)
from simulacra.engine.sampling.sample import intervened_table
from simulacra.engine.uncertainty.contested import robustness

HOLDOUT_SHARE, HOLDOUT_MAX_ROWS, MIN_ROWS = 0.2, 2000, 200
FALSIFY_ROWS = 5000
MAX_VIOLATED_SHARE = 0.2
# Twenty relabellings let a graph that beats them all reach p = 1/21 < PERMUTATION_LEVEL. Wide tables
# get fewer, so that the relabellings cost at most PERMUTATION_TESTS tests (about a second at 5,000
# rows): a count, not a clock, keeps the report the same on a busy machine.
PERMUTATIONS, PERMUTATION_TESTS, PERMUTATION_LEVEL = 20, 3000, 0.05
# A graph over n columns implies up to n^2/2 independences, each a G-test given the column's parents:
# 44,000 for a 300-column battery, still running after six minutes when stopped. A seeded random sample
# of this many stands for them (the share rejected is what the verdict reads; 3,000 give it to within
# about 1.5 points).
MAX_CLAIMS = 3000
# How far held-out fidelity may trail the real-vs-real reference before the report says so.
FIDELITY_GAP = 0.05
WORST, LISTED_VIOLATIONS = 3, 5


def validate_model(
    parquet_path: str,
    schema: CleanedSchema,
    graph: CausalGraph,
    fit_report: FitReport,
    *,
    seed: int = 0,
    fit_rows: FitRows | None = None,
    model_path: str | None = None,
) -> ValidationReport:
    """The validation report of a model fitted by engine.fit_model on this table, graph and schema.

    With ``fit_rows`` (a large seed's model was fitted on ``fit_rows.sample_path``, saved at ``model_path``)
    held-out fidelity scores that model on rows outside the sample, and the report names the sample.
    """
    started = time.perf_counter()
    with threadpool_limits(limits=1):
        if fit_rows is not None and model_path is not None:
            fidelity, figures = sample_fidelity(fit_rows, model_path, schema, seed=seed)
        else:
            fidelity, figures = held_out_fidelity(parquet_path, schema, graph, seed=seed)
        nodes = node_fit(parquet_path, schema, fit_report)
        falsification = falsify_graph(parquet_path, schema, graph, seed=seed)
    return ValidationReport(
        held_out_fidelity=fidelity,
        nodes=nodes,
        falsification=falsification,
        robustness=robustness(graph),
        warnings=_warnings(graph, fidelity, nodes, falsification),
        seconds=round(time.perf_counter() - started, 3),
        fit_sample=fit_rows.sample if fit_rows else None,
        figures=figures,
    )


def held_out_fidelity(
    parquet_path: str, schema: CleanedSchema, graph: CausalGraph, *, seed: int = 0
) -> tuple[HeldOutFidelity, ValidationFigures | None]:
    """Quality of rows sampled from a model fitted without the held-out rows, and the real-vs-real reference;
    with what the model report draws of both sets of rows."""
    table = pq.read_table(parquet_path, columns=schema.names)
    if table.num_rows < MIN_ROWS:
        return HeldOutFidelity(computed=False, reason=f"fewer than {MIN_ROWS} rows: too few to hold any out"), None
    order = np.random.default_rng(seed).permutation(table.num_rows)
    size = min(int(table.num_rows * HOLDOUT_SHARE), HOLDOUT_MAX_ROWS)
    held_out, train = table.take(pa.array(np.sort(order[:size]))), table.take(pa.array(np.sort(order[size:])))
    with tempfile.TemporaryDirectory() as tmp:
        train_path, model_path = str(Path(tmp) / "train.parquet"), str(Path(tmp) / "model.pkl")
        pq.write_table(train, train_path)
        fit_model(train_path, schema, graph, model_path, seed=seed)
        synthetic = intervened_table(load_model(model_path), parse_conditions(None, schema), size, seed)
    # Training rows in their shuffled order: an unbiased sample of the same size as the held-out part.
    return _fidelity(held_out, synthetic, table.take(pa.array(order[size : 2 * size])), train.num_rows, schema)


def sample_fidelity(
    fit_rows: FitRows, model_path: str, schema: CleanedSchema, *, seed: int = 0
) -> tuple[HeldOutFidelity, ValidationFigures | None]:
    """A large seed's model, fitted on its subsample, scored on rows outside it: no refit is needed."""
    held_out = pq.read_table(fit_rows.held_out_path, columns=schema.names)
    size = min(held_out.num_rows, HOLDOUT_MAX_ROWS)
    if size < MIN_ROWS // 2:
        return HeldOutFidelity(computed=False, reason=f"fewer than {MIN_ROWS // 2} rows outside the fit sample"), None
    rng = np.random.default_rng(seed)
    held_out = held_out.take(pa.array(np.sort(rng.choice(held_out.num_rows, size=size, replace=False))))
    train = pq.read_table(fit_rows.sample_path, columns=schema.names)
    reference = train.take(pa.array(np.sort(rng.choice(train.num_rows, size=min(size, train.num_rows), replace=False))))
    synthetic = intervened_table(load_model(model_path), parse_conditions(None, schema), size, seed)
    return _fidelity(held_out, synthetic, reference, train.num_rows, schema)


def _fidelity(
    held_out: pa.Table, synthetic: pa.Table, reference_rows: pa.Table, train_rows: int, schema: CleanedSchema
) -> tuple[HeldOutFidelity, ValidationFigures]:
    kinds: dict[str, str] = dict(schema.types)
    real, sampled = held_out.to_pandas(), synthetic.to_pandas()
    model = quality_report(real, sampled, kinds)
    reference = quality_report(real, reference_rows.to_pandas(), kinds)
    fidelity = HeldOutFidelity.model_validate(
        {
            "computed": True,
            "train_rows": train_rows,
            "held_out_rows": held_out.num_rows,
            **_scores(model),
            "reference": _scores(reference),
            "worst_columns": _worst(model["columns"], reference["columns"], lambda name: {"column": name}),
            "worst_pairs": _worst(
                _counted_pairs(model), _counted_pairs(reference), lambda key: {"columns": key.split("|", 1)}
            ),
        }
    )
    return fidelity, validation_figures(real, sampled, schema)


def node_fit(parquet_path: str, schema: CleanedSchema, fit_report: FitReport) -> list[NodeFit]:
    """Per column: mechanism, parents, the held-out score it was selected by, and the no-parents baseline."""
    frame = model_frame(parquet_path, schema)
    nodes = []
    for name, node in fit_report.nodes.items():
        metric = node.selection.metric if node.selection else None
        in_sample = {key: value for key, value in (("r2", node.r2), ("accuracy", node.accuracy)) if value is not None}
        nodes.append(
            NodeFit(
                name=name,
                parents=node.parents,
                mechanism=node.mechanism,
                metric=metric,
                held_out=node.selection.scores.get(node.mechanism) if node.selection else None,
                baseline=_baseline(frame[name], metric),
                in_sample=in_sample,
            )
        )
    return nodes


def falsify_graph(parquet_path: str, schema: CleanedSchema, graph: CausalGraph, *, seed: int = 0) -> Falsification:
    """Test the local Markov condition of the graph against the data, beside random relabellings of it."""
    names = schema.names
    table = pq.read_table(parquet_path, columns=names)
    rng = np.random.default_rng(seed)
    if table.num_rows > FALSIFY_ROWS:
        table = table.take(pa.array(np.sort(rng.choice(table.num_rows, size=FALSIFY_ROWS, replace=False))))
    types = schema.types
    data = np.column_stack([discretise(table[name], types[name]) for name in names])
    # The test and alpha that discovery used on this graph: a rejection means what it meant there.
    test_name, alpha = graph.test or DEFAULT.test, graph.alpha or DEFAULT.alpha
    test = CIT(data, test_name)
    index = {name: position for position, name in enumerate(names)}

    def p_values(claims: list[tuple[str, str, list[str]]]) -> np.ndarray:
        return np.array([test(index[x], index[y], [index[z] for z in given]) for x, y, given in claims])

    implied = implied_independences(names, graph.edges)
    claims = _sample(implied, rng)
    observed = p_values(claims)
    summary = {
        "test": test_name,
        "alpha": alpha,
        "rows_used": table.num_rows,
        "tests": len(claims),
        "violated": int(np.sum(observed < alpha)),
        "violated_share": round(float(np.mean(observed < alpha)), 4) if claims else 0.0,
        "violated_after_fdr": _benjamini_hochberg(observed, alpha),
        "max_violated_share": MAX_VIOLATED_SHARE,
        "violations": [
            {"column": x, "independent_of": y, "given": given, "p_value": float(observed[i])}
            for i in np.argsort(observed, kind="stable")[:LISTED_VIOLATIONS]
            for x, y, given in [claims[i]]
            if observed[i] < alpha
        ],
        "permutations": _permutation_baseline(names, graph.edges, claims, observed < alpha, p_values, alpha, rng),
    }
    summary["note"] = (
        f"{len(claims)} tests at alpha {alpha}: about {alpha * len(claims):.1f} rejections are expected by chance "
        f"even for the true graph; {summary['violated_after_fdr']} of the {summary['violated']} remain significant "
        "after Benjamini-Hochberg correction."
        + (
            f" The graph implies {len(implied):,} independences: a random {len(claims):,} were tested."
            if len(implied) > len(claims)
            else ""
        )
    )
    summary["verdict"] = _verdict(summary)
    summary["falsified"] = summary["verdict"].startswith("falsified")
    return Falsification.model_validate(summary)


def implied_independences(names: list[str], edges: list[Edge]) -> list[tuple[str, str, list[str]]]:
    """(column, other, parents of column) for every non-descendant `other` that is not a parent."""
    dag = nx.DiGraph()
    dag.add_nodes_from(names)
    dag.add_edges_from(tuple(edge) for edge in edges)
    claims = []
    for name in names:
        parents = sorted(dag.predecessors(name), key=names.index)
        excluded = nx.descendants(dag, name) | set(parents) | {name}
        claims += [(name, other, parents) for other in names if other not in excluded]
    return claims


def _permutation_baseline(
    names: list[str],
    edges: list[Edge],
    claims: list[tuple[str, str, list[str]]],
    rejected: np.ndarray,
    p_values: Callable[[list[tuple[str, str, list[str]]]], np.ndarray],
    alpha: float,
    rng: np.random.Generator,
) -> dict:
    # The same graph shape with its columns shuffled: a graph as complex as this one, but chosen blindly.
    # Relabelling keeps the graph's shape, and so its number of implied independences.
    runs = min(PERMUTATIONS, PERMUTATION_TESTS // max(len(claims), 1))
    shares, same = [], 0
    given_share = float(np.mean(rejected)) if claims else 0.0
    given_key = _claims_key(implied_independences(names, edges))  # all of them, not the sample tested
    for _ in range(runs):
        relabel = dict(zip(names, rng.permutation(names), strict=True))
        permuted = implied_independences(names, [(relabel[a], relabel[b]) for a, b in edges])
        same += _claims_key(permuted) == given_key
        permuted = _sample(permuted, rng)
        shares.append(float(np.mean(p_values(permuted) < alpha)) if permuted else 0.0)
    if not shares:
        return {"run": 0, "p_value": None, "informative": False, "median_violated_share": None, "violated_shares": []}
    return {
        "run": len(shares),
        # The share of relabellings that fit the data at least as well as the graph (+1 for the graph itself).
        "p_value": round((1 + sum(share <= given_share for share in shares)) / (1 + len(shares)), 4),
        # A graph whose relabellings imply the same independences (no edges, say) cannot be told from them.
        "informative": same / len(shares) < PERMUTATION_LEVEL,
        "median_violated_share": round(float(np.median(shares)), 4),
        "violated_shares": [round(share, 4) for share in shares],
    }


def _sample(claims: list[tuple[str, str, list[str]]], rng: np.random.Generator) -> list[tuple[str, str, list[str]]]:
    if len(claims) <= MAX_CLAIMS:
        return claims
    return [claims[i] for i in np.sort(rng.choice(len(claims), size=MAX_CLAIMS, replace=False))]


def _claims_key(claims: list[tuple[str, str, list[str]]]) -> frozenset:
    return frozenset((frozenset((x, y)), frozenset(given)) for x, y, given in claims)


def _verdict(summary: dict) -> str:
    tests, share, permutations = summary["tests"], summary["violated_share"], summary["permutations"]
    if tests == 0:
        return "not testable: the graph implies no independences (every pair of columns is joined)"
    if share > MAX_VIOLATED_SHARE:
        return (
            f"falsified: the data reject {summary['violated']} of the {tests} independences the graph implies "
            f"({share:.0%}, above the {MAX_VIOLATED_SHARE:.0%} tolerance)"
        )
    complete = permutations["run"] >= round(1 / PERMUTATION_LEVEL) - 1
    if complete and permutations["informative"] and permutations["p_value"] > PERMUTATION_LEVEL:
        return (
            "falsified: the graph fits the data no better than random relabellings of its columns "
            f"(p = {permutations['p_value']})"
        )
    return f"not falsified: the data reject {summary['violated']} of the {tests} independences the graph implies"


def _benjamini_hochberg(p_values: np.ndarray, level: float) -> int:
    """How many of the p-values are significant at false discovery rate ``level``."""
    ordered = np.sort(p_values)
    below = np.nonzero(ordered <= level * np.arange(1, len(ordered) + 1) / max(len(ordered), 1))[0]
    return int(below[-1] + 1) if below.size else 0


def _baseline(values: pd.Series, metric: Metric | None) -> float | None:
    # What a mechanism that ignored the parents would score: R^2 of 0, or the marginal log-likelihood.
    if metric == "r2":
        return 0.0
    if metric != "log_likelihood":
        return None
    shares = values.value_counts(normalize=True).to_numpy()
    return round(float(np.sum(shares * np.log(shares))), 4)


def _scores(report: dict) -> dict:
    return {key: report[key] for key in ("score", "column_shapes", "column_pair_trends")}


def _counted_pairs(report: dict) -> dict[str, float]:
    # The pairs the pair trends score averages: associated ones, or all when none is.
    associated = {key: pair["score"] for key, pair in report["pairs"].items() if pair["associated"]}
    return associated or {key: pair["score"] for key, pair in report["pairs"].items()}


def _worst(
    scores: dict[str, float], reference: dict[str, float], label: Callable[[str], dict[str, Any]]
) -> list[dict[str, Any]]:
    worst = sorted(scores, key=scores.__getitem__)[:WORST]
    return [{**label(key), "score": scores[key], "reference": reference.get(key)} for key in worst]


def _warnings(
    graph: CausalGraph, fidelity: HeldOutFidelity, nodes: list[NodeFit], falsification: Falsification
) -> list[str]:
    warnings = []
    reference = fidelity.reference.score if fidelity.reference else None
    if fidelity.score is not None and reference is not None and fidelity.score < reference - FIDELITY_GAP:
        warnings.append(
            f"held-out fidelity {fidelity.score:.3f} trails the real-vs-real reference "
            f"{reference:.3f} by more than {FIDELITY_GAP}: see worst_columns and worst_pairs"
        )
    idle = [
        node.name
        for node in nodes
        if node.held_out is not None and node.baseline is not None and node.held_out <= node.baseline
    ]
    if idle:
        warnings.append(f"the parents predict nothing on held-out rows for: {', '.join(idle)}")
    if graph.oriented_by_prior:
        listed = ", ".join(f"{a} -> {b}" for a, b in graph.oriented_by_prior)
        start = "no causal_hints given: " if not graph.hints_applied else ""
        warnings.append(
            f"{start}the direction of {listed} is not identified by the data (the prior set it: demographic-looking "
            "roots, then column order), and the "
            "falsification test cannot check it: graphs that differ only there imply the same independences"
        )
    if falsification.permutations.run < PERMUTATIONS:
        warnings.append(
            f"only {falsification.permutations.run} of {PERMUTATIONS} random relabellings were tested (the "
            "graph implies many independences): the permutation baseline is indicative only"
        )
    return warnings
