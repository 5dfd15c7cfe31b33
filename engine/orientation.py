"""Turning a partially directed PC graph into a DAG using the user's hints and the column-order prior."""

from __future__ import annotations

import networkx as nx

from engine.hints import Hints


def prior_order(order: list[str], hints: Hints | None = None) -> list[str]:
    """The column order, moved only as far as the hints demand (tiers first, required edges forward)."""
    rank = {name: position for position, name in enumerate(order)}
    if hints is None or hints.is_empty():
        return list(order)
    constraints = nx.DiGraph()
    constraints.add_nodes_from(order)
    constraints.add_edges_from(hints.required)
    for early, late in zip(hints.tiers, hints.tiers[1:], strict=False):
        constraints.add_edges_from((a, b) for a in early for b in late)
    return list(nx.lexicographical_topological_sort(constraints, key=rank.__getitem__))


def orient_by_order(
    order: list[str],
    directed: list[tuple[str, str]],
    unoriented: list[tuple[str, str]],
    *,
    hints: Hints | None = None,
) -> tuple[list[list[str]], list[list[str]]]:
    """Return (edges, edges oriented by the prior) of a DAG over ``order``.

    Hints come first: an edge the hints forbid is turned round (or dropped when both directions are
    forbidden) and required edges are added. The prior is then the column order, adjusted to the
    tiers and required edges: an earlier column may cause a later one, because survey exports list
    who the respondent is (demographics) before what they answered (outcomes). Edges the data left
    unoriented follow that order; if PC's own orientations close a cycle, the edges in it that run
    against the order are reversed (or dropped, if the hints forbid the reverse) until acyclic.
    """
    hints = hints or Hints()
    prior = prior_order(order, hints)
    rank = {name: position for position, name in enumerate(prior)}
    graph = nx.DiGraph()
    graph.add_nodes_from(order)
    by_prior: list[list[str]] = []
    for a, b in directed:
        if hints.allows(a, b):
            graph.add_edge(a, b)
        elif hints.allows(b, a):
            graph.add_edge(b, a)
    for a, b in unoriented:
        source, target = sorted((a, b), key=rank.__getitem__)
        if not hints.allows(source, target):
            source, target = target, source
            if not hints.allows(source, target):
                continue
        elif hints.allows(target, source) and (source, target) not in hints.required:
            by_prior.append([source, target])
        graph.add_edge(source, target)
    for source, target in hints.required:
        if graph.has_edge(target, source):
            graph.remove_edge(target, source)
        graph.add_edge(source, target)
    while not nx.is_directed_acyclic_graph(graph):
        # Every cycle holds at least one backward edge, since forward edges alone cannot close one;
        # required edges and tiers are forward by construction of the prior order.
        source, target = next((u, v) for u, v in nx.find_cycle(graph) if rank[u] > rank[v])
        graph.remove_edge(source, target)
        if hints.allows(target, source):
            graph.add_edge(target, source)
            by_prior.append([target, source])
    by_prior = [edge for edge in by_prior if graph.has_edge(*edge)]
    position = {name: index for index, name in enumerate(order)}
    key = lambda edge: (position[edge[0]], position[edge[1]])  # noqa: E731
    edges = sorted(graph.edges, key=key)
    return [list(edge) for edge in edges], sorted({tuple(edge): edge for edge in by_prior}.values(), key=key)
