"""edit_graph: a user's add / remove / reverse edits to a discovered graph, checked before any refit.

Pure Python like engine.checks.hints, so the API can refuse a bad PATCH before starting a workflow.
"""

from __future__ import annotations

from typing import Any

from simulacra.engine.checks.errors import EngineInputError
from simulacra.engine.checks.hints import Columns, Hints, find_cycle, parse_hints, resolve_column
from simulacra.engine.records.graph import CausalGraph, Edge, EdgeStability, GraphEdit
from simulacra.engine.records.schema import CleanedSchema

OPS = ("add", "remove", "reverse")


def edit_graph(
    graph: CausalGraph,
    edits: list[dict[str, Any]],
    hints: Hints | dict[str, Any] | None = None,
    *,
    schema: CleanedSchema | None = None,
) -> CausalGraph:
    """A new graph with the edits applied in order; the input graph is not changed.

    Each edit is {"op": "add" | "remove" | "reverse", "from": a, "to": b}. Columns are cleaned names,
    or raw headers when ``schema`` is given. ``hints`` default to the graph's own hints_applied, so
    an edit cannot undo what the user declared at upload. Errors point at /edits/{i}.
    """
    if not isinstance(edits, list) or not edits:
        raise EngineInputError("simio_invalid_field", "edits must be a non-empty list", "/edits")
    known: Columns = schema or graph.nodes
    parsed = parse_hints(graph.hints_applied if hints is None else hints, known)
    edges = list(graph.edges)
    applied = []
    for index, edit in enumerate(edits):
        source, target, op = _edit(edit, graph.nodes, known, f"/edits/{index}")
        applied.append(GraphEdit(op=op, source=source, target=target))
        edges = _apply(edges, op, source, target, parsed, f"/edits/{index}")
        cycle = find_cycle(edges)
        if cycle:
            raise EngineInputError(
                "simio_graph_cycle",
                f"{op} {source} -> {target} closes the cycle {' -> '.join(cycle)}; the graph must stay acyclic",
                f"/edits/{index}",
            )
    return _with_edges(graph, edges, applied)


def _edit(edit: object, nodes: list[str], known: Columns, pointer: str) -> tuple[str, str, str]:
    if not isinstance(edit, dict) or set(edit) != {"op", "from", "to"}:
        raise EngineInputError("simio_invalid_field", 'an edit is {"op": ..., "from": a, "to": b}', pointer)
    if edit["op"] not in OPS:
        raise EngineInputError("simio_invalid_field", f"op must be one of {', '.join(OPS)}", f"{pointer}/op")
    source = resolve_column(edit["from"], known, f"{pointer}/from")
    target = resolve_column(edit["to"], known, f"{pointer}/to")
    for name, key in ((source, "from"), (target, "to")):
        if name not in nodes:
            raise EngineInputError("simio_invalid_field", f"{name} is not a node of the graph", f"{pointer}/{key}")
    if source == target:
        raise EngineInputError("simio_invalid_field", f"an edge from {source} to itself is not allowed", pointer)
    return source, target, str(edit["op"])


def _apply(edges: list[Edge], op: str, source: str, target: str, hints: Hints, pointer: str) -> list[Edge]:
    edge, reverse = (source, target), (target, source)
    if op == "add":
        if edge in edges:
            raise EngineInputError("simio_invalid_field", f"{source} -> {target} is already in the graph", pointer)
        if reverse in edges:
            detail = f"{target} -> {source} is in the graph; reverse it instead of adding the opposite edge"
            raise EngineInputError("simio_invalid_field", detail, pointer)
        _allowed(hints, source, target, pointer)
        return [*edges, edge]
    if edge not in edges:
        hint = f" (the graph has {target} -> {source})" if reverse in edges else ""
        raise EngineInputError("simio_invalid_field", f"{source} -> {target} is not in the graph{hint}", pointer)
    if edge in hints.required:
        detail = f"{source} -> {target} is a required edge in causal_hints; it cannot be {op}d"
        raise EngineInputError("simio_graph_hint_conflict", detail, pointer)
    if op == "remove":
        return [e for e in edges if e != edge]
    _allowed(hints, target, source, pointer)
    return [reverse if e == edge else e for e in edges]


def _allowed(hints: Hints, source: str, target: str, pointer: str) -> None:
    reason = hints.violation(source, target)
    if reason:
        raise EngineInputError("simio_graph_hint_conflict", f"causal_hints refuse this edit: {reason}", pointer)


def _with_edges(graph: CausalGraph, edges: list[Edge], edits: list[GraphEdit]) -> CausalGraph:
    position = {name: index for index, name in enumerate(graph.nodes)}
    ordered = sorted(edges, key=lambda edge: (position[edge[0]], position[edge[1]]))
    kept = set(ordered)
    stability = None
    if graph.edge_stability is not None:
        # Stability is what the data said about an edge; an edge the user turned round or added has none.
        known = {(item.source, item.target): item for item in graph.edge_stability}
        stability = [
            known.get(edge, EdgeStability(source=edge[0], target=edge[1], stability=None, adjacency_stability=None))
            for edge in ordered
        ]
    return graph.model_copy(
        update={
            "edges": ordered,
            "oriented_by_prior": [edge for edge in graph.oriented_by_prior if edge in kept],
            "edge_stability": stability,
            "edits": [*graph.edits, *edits],
        },
        deep=True,
    )
