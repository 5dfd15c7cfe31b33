"""Contested edges of a discovered graph, from what discovery recorded, and the hints that would settle them.

Discovery records, per edge, the share of its bootstrap subsamples that found it in this direction
(`stability`) and in either (`adjacency_stability`), and which directions came from the prior rather
than the data (`oriented_by_prior`). An edge is contested when the data did not decide it: its
direction came from the prior, or at least CONTESTED_SHARE of the subsamples turned it round or
missed it. The user's hints and edits are the user's word, never contested.
"""

from __future__ import annotations

from simulacra.engine.checks.conditions import Conditions
from simulacra.engine.checks.effect_request import descendants
from simulacra.engine.checks.hints import parse_hints
from simulacra.engine.records.graph import CausalGraph
from simulacra.engine.records.uncertainty import ContestedGraphEdge, Robustness, SettlingHint

CONTESTED_SHARE = 0.2


def user_fixed(graph: CausalGraph) -> set[frozenset[str]]:
    """Pairs whose edge the user declared (required hint) or edited: settled by the user, not the data."""
    hints = parse_hints(graph.hints_applied, graph.nodes)
    fixed = {frozenset(edge) for edge in hints.required}
    fixed |= {frozenset((edit.source, edit.target)) for edit in graph.edits}
    return fixed


def undirected_pairs(graph: CausalGraph) -> set[frozenset[str]]:
    """Edges of the DAG whose direction the data and hints left open (the CPDAG's undirected edges)."""
    return {frozenset(edge) for edge in graph.oriented_by_prior} - user_fixed(graph)


def contested_edges(graph: CausalGraph) -> list[ContestedGraphEdge]:
    fixed, undirected = user_fixed(graph), undirected_pairs(graph)
    stability = {(e.source, e.target): e for e in graph.edge_stability or []}
    found = []
    for source, target in graph.edges:
        pair = frozenset((source, target))
        if pair in fixed:
            continue
        measured = stability.get((source, target))
        same = measured.stability if measured else None
        either = measured.adjacency_stability if measured else None
        doubt, reason = None, ""
        if either is not None and either < 1 - CONTESTED_SHARE:
            doubt, reason = "presence", f"found in only {either:.0%} of discovery's bootstrap subsamples"
        elif pair in undirected:
            doubt, reason = "direction", "the data do not decide its direction: it came from the prior (column order)"
        elif same is not None and either is not None and either - same >= CONTESTED_SHARE:
            doubt, reason = "direction", f"turned round in {either - same:.0%} of discovery's bootstrap subsamples"
        if doubt is not None:
            found.append(
                ContestedGraphEdge(
                    source=source,
                    target=target,
                    doubt=doubt,
                    reason=reason,
                    stability=same,
                    adjacency_stability=either,
                    settle_with=settling_hints(source, target, doubt),
                )
            )
    return found


def settling_hints(source: str, target: str, doubt: str) -> list[SettlingHint]:
    forward = {"required": [{"from": source, "to": target}]}
    if doubt == "direction":
        return [
            SettlingHint(if_=f"{source} comes before {target} (it is a cause of it)", causal_hints=forward),
            SettlingHint(
                if_=f"{target} comes before {source}",
                causal_hints={"required": [{"from": target, "to": source}]},
            ),
        ]
    return [
        SettlingHint(if_=f"{source} directly affects {target}", causal_hints=forward),
        SettlingHint(
            if_="neither affects the other directly",
            causal_hints={"forbidden": [{"from": source, "to": target}, {"from": target, "to": source}]},
        ),
    ]


def robustness(graph: CausalGraph) -> Robustness:
    """The validation report's robustness section."""
    resamples = graph.bootstrap.resamples if graph.bootstrap else 0
    note = None
    if not resamples:
        note = "discovery measured no bootstrap stability for this graph (too slow, or a graph edited by hand)"
    return Robustness(
        bootstrap_resamples=resamples,
        edge_stability=list(graph.edge_stability or []),
        contested_edges=contested_edges(graph),
        note=note,
    )


def intervention_doubts(graph: CausalGraph, conditioned: list[str]) -> tuple[list[str], list[ContestedGraphEdge]]:
    """Warnings for a generation that sets ``conditioned`` by intervention: contested edges downstream.

    An edge matters when it leaves a conditioned column or one of its descendants (the intervention
    propagates along it), or touches one with its direction in doubt (reversed, it would or would not
    carry the intervention).
    """
    edges = list(graph.edges)
    warnings, relevant = [], []
    contested = contested_edges(graph)
    for name in conditioned:
        downstream = {name, *descendants(edges, name)}
        hits = [
            edge
            for edge in contested
            if edge.source in downstream or (edge.doubt == "direction" and edge.target in downstream)
        ]
        if hits:
            listed = ", ".join(f"{e.source} -> {e.target} ({e.doubt})" for e in hits)
            warnings.append(
                f"setting {name} propagates through edges the data did not settle: {listed}; the rows downstream "
                "of it depend on them (causal_hints or a graph edit would settle them; see the dataset's "
                "validation robustness section)"
            )
            relevant += [edge for edge in hits if edge not in relevant]
    return warnings, relevant


def generation_doubts(graph: CausalGraph, conditions: Conditions) -> dict:
    """The generation report's `warnings` and `contested_edges`: only interventions propagate along edges."""
    if conditions.mode != "intervene":
        return {"warnings": [], "contested_edges": []}
    conditioned = sorted({*conditions.categorical, *conditions.numeric})
    warnings, edges = intervention_doubts(graph, conditioned)
    return {"warnings": warnings, "contested_edges": [edge.model_dump(mode="json", by_alias=True) for edge in edges]}
