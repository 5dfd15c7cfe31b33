"""edit_graph: a user's add / remove / reverse edits to a discovered graph, checked before any refit.

Pure Python like engine.hints, so the API can refuse a bad PATCH before starting a workflow.
"""

from __future__ import annotations

import copy

from simulacra.engine.checks.errors import EngineInputError
from simulacra.engine.checks.hints import Hints, find_cycle, parse_hints, resolve_column

OPS = ("add", "remove", "reverse")


def edit_graph(
    graph: dict, edits: list[dict], hints: Hints | dict | None = None, *, schema: dict | None = None
) -> dict:
    """A new graph dict with the edits applied in order; the input graph is not changed.

    Each edit is {"op": "add" | "remove" | "reverse", "from": a, "to": b}. Columns are cleaned names,
    or raw headers when ``schema`` is given. ``hints`` default to the graph's own hints_applied, so
    an edit cannot undo what the user declared at upload. Errors point at /edits/{i}.
    """
    if not isinstance(edits, list) or not edits:
        raise EngineInputError("simio_invalid_field", "edits must be a non-empty list", "/edits")
    if hints is None:
        hints = graph.get("hints_applied")
    hints = parse_hints(hints, schema or {"columns": [{"name": name} for name in graph["nodes"]]})
    edges = [tuple(edge) for edge in graph["edges"]]
    applied = []
    for index, edit in enumerate(edits):
        source, target, op = _edit(edit, graph["nodes"], schema, f"/edits/{index}")
        applied.append({"op": op, "from": source, "to": target})
        edges = _apply(edges, op, source, target, hints, f"/edits/{index}")
        cycle = find_cycle(edges)
        if cycle:
            raise EngineInputError(
                "simio_graph_cycle",
                f"{op} {source} -> {target} closes the cycle {' -> '.join(cycle)}; the graph must stay acyclic",
                f"/edits/{index}",
            )
    return _with_edges(graph, edges, applied)


def _edit(edit: object, nodes: list[str], schema: dict | None, pointer: str) -> tuple[str, str, str]:
    if not isinstance(edit, dict) or set(edit) != {"op", "from", "to"}:
        raise EngineInputError("simio_invalid_field", 'an edit is {"op": ..., "from": a, "to": b}', pointer)
    if edit["op"] not in OPS:
        raise EngineInputError("simio_invalid_field", f"op must be one of {', '.join(OPS)}", f"{pointer}/op")
    known = schema or {"columns": [{"name": name} for name in nodes]}
    source = resolve_column(edit["from"], known, f"{pointer}/from")
    target = resolve_column(edit["to"], known, f"{pointer}/to")
    for name, key in ((source, "from"), (target, "to")):
        if name not in nodes:
            raise EngineInputError("simio_invalid_field", f"{name} is not a node of the graph", f"{pointer}/{key}")
    if source == target:
        raise EngineInputError("simio_invalid_field", f"an edge from {source} to itself is not allowed", pointer)
    return source, target, edit["op"]


def _apply(
    edges: list[tuple[str, str]], op: str, source: str, target: str, hints: Hints, pointer: str
) -> list[tuple[str, str]]:
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


def _with_edges(graph: dict, edges: list[tuple[str, str]], edits: list[dict]) -> dict:
    position = {name: index for index, name in enumerate(graph["nodes"])}
    ordered = sorted(edges, key=lambda edge: (position[edge[0]], position[edge[1]]))
    edited = copy.deepcopy(graph)
    edited["edges"] = [list(edge) for edge in ordered]
    kept = set(ordered)
    edited["oriented_by_prior"] = [edge for edge in graph.get("oriented_by_prior", []) if tuple(edge) in kept]
    if "edge_stability" in graph:
        # Stability is what the data said about an edge; an edge the user turned round or added has none.
        known = {(item["from"], item["to"]): item for item in graph["edge_stability"]}
        edited["edge_stability"] = [
            known.get(edge, {"from": edge[0], "to": edge[1], "stability": None, "adjacency_stability": None})
            for edge in ordered
        ]
    edited["edits"] = [*graph.get("edits", []), *edits]
    return edited
