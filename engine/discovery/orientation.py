"""Turning a partially directed PC graph into a DAG using the user's hints, Meek's rules and a prior order."""

from __future__ import annotations

import networkx as nx

from simulacra.engine.checks.hints import Hints


def prior_order(order: list[str], hints: Hints | None = None, roots: tuple[str, ...] = ()) -> list[str]:
    """The column order, moved only as far as the hints demand (tiers first, required edges forward);
    ``roots`` (default causes, see engine.checks.hints.default_roots) go first where the hints allow."""
    rank = {name: (name not in roots, position) for position, name in enumerate(order)}
    if (hints is None or hints.is_empty()) and not roots:
        return list(order)
    hints = hints or Hints()
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
    roots: tuple[str, ...] = (),
) -> tuple[list[list[str]], list[list[str]]]:
    """Return (edges, edges oriented by the prior) of a DAG over ``order``.

    Hints come first: an edge the hints forbid is turned round (or dropped when both directions are
    forbidden) and required edges are added. Meek's rules then orient every edge the data and hints
    already imply (no new colliders, no cycles). Only the edges still undecided follow the prior, one
    at a time, earliest first, with Meek's rules run again after each: the prior is ``roots`` first,
    then the column order adjusted to the tiers and required edges, because survey exports list who
    the respondent is (demographics) before what they answered (outcomes). Choosing one edge at a
    time keeps the result inside the data's equivalence class: orienting each edge on its own would
    invent colliders the independence tests rejected. If PC's own orientations close a cycle, the
    edges in it that run against the prior are reversed (or dropped, if the hints forbid the
    reverse) until acyclic.
    """
    hints = hints or Hints()
    prior = prior_order(order, hints, roots)
    rank = {name: position for position, name in enumerate(prior)}
    graph = nx.DiGraph()
    graph.add_nodes_from(order)
    for a, b in directed:
        if hints.allows(a, b):
            graph.add_edge(a, b)
        elif hints.allows(b, a):
            graph.add_edge(b, a)
    undecided: set[frozenset[str]] = set()
    for a, b in unoriented:
        if hints.allows(a, b) and hints.allows(b, a):
            undecided.add(frozenset((a, b)))
        elif hints.allows(a, b) or hints.allows(b, a):
            graph.add_edge(*((a, b) if hints.allows(a, b) else (b, a)))
    for source, target in hints.required:
        undecided.discard(frozenset((source, target)))
        if graph.has_edge(target, source):
            graph.remove_edge(target, source)
        graph.add_edge(source, target)
    meek(graph, undecided, hints)
    by_prior: list[list[str]] = []
    while undecided:
        source, target = min(
            (sorted(edge, key=rank.__getitem__) for edge in undecided), key=lambda e: (rank[e[0]], rank[e[1]])
        )
        undecided.discard(frozenset((source, target)))
        graph.add_edge(source, target)
        # What Meek's rules orient from here on follows from this choice, so it is the prior's too.
        by_prior += [[source, target], *meek(graph, undecided, hints)]
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


def meek(graph: nx.DiGraph, undecided: set[frozenset[str]], hints: Hints) -> list[list[str]]:
    """Orient undecided edges by Meek's rules 1-3 until none applies; returns the edges oriented.

    ``graph`` holds the directed edges; ``undecided`` the undirected ones (both shrink/grow in place).
    """
    oriented: list[list[str]] = []

    def adjacent(a: str, b: str) -> bool:
        return graph.has_edge(a, b) or graph.has_edge(b, a) or frozenset((a, b)) in undecided

    def undirected_neighbours(node: str) -> list[str]:
        return [next(iter(edge - {node})) for edge in undecided if node in edge]

    changed = True
    while changed:
        changed = False
        for edge in sorted(undecided, key=sorted):
            for b, c in (sorted(edge), sorted(edge)[::-1]):
                if not hints.allows(b, c):
                    continue
                # R1: a -> b - c with a, c not adjacent: b -> c, or a -> b <- c would be a new collider.
                rule1 = any(not adjacent(a, c) for a in graph.predecessors(b) if a != c)
                # R2: b -> a -> c with b - c: b -> c, or the graph would have a cycle.
                rule2 = any(graph.has_edge(a, c) for a in graph.successors(b))
                # R3: b - a1 -> c, b - a2 -> c, a1, a2 not adjacent, b - c: b -> c.
                sides = [a for a in undirected_neighbours(b) if a != c and graph.has_edge(a, c)]
                rule3 = any(not adjacent(x, y) for i, x in enumerate(sides) for y in sides[i + 1 :])
                if rule1 or rule2 or rule3:
                    undecided.discard(edge)
                    graph.add_edge(b, c)
                    oriented.append([b, c])
                    changed = True
                    break
    return oriented
