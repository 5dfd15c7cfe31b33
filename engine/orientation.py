"""Turning a partially directed PC graph into a DAG using the column-order prior."""

from __future__ import annotations

import networkx as nx


def orient_by_order(
    order: list[str], directed: list[tuple[str, str]], unoriented: list[tuple[str, str]]
) -> tuple[list[list[str]], list[list[str]]]:
    """Return (edges, edges oriented by the prior) of a DAG over ``order``.

    The prior is the column order: an earlier column may cause a later one, because survey
    exports list who the respondent is (demographics) before what they answered (outcomes).
    Edges the data left unoriented follow that order; if PC's own orientations close a cycle,
    the edges in it that run against the order are reversed until the graph is acyclic.
    """
    rank = {name: position for position, name in enumerate(order)}
    graph = nx.DiGraph()
    graph.add_nodes_from(order)
    graph.add_edges_from(directed)
    by_prior: list[list[str]] = []
    for a, b in unoriented:
        source, target = sorted((a, b), key=rank.__getitem__)
        graph.add_edge(source, target)
        by_prior.append([source, target])
    while not nx.is_directed_acyclic_graph(graph):
        # Every cycle holds at least one backward edge, since forward edges alone cannot close one.
        source, target = next((u, v) for u, v in nx.find_cycle(graph) if rank[u] > rank[v])
        graph.remove_edge(source, target)
        graph.add_edge(target, source)
        by_prior.append([target, source])
    edges = sorted(graph.edges, key=lambda edge: (rank[edge[0]], rank[edge[1]]))
    return [list(edge) for edge in edges], sorted(by_prior, key=lambda edge: (rank[edge[0]], rank[edge[1]]))
