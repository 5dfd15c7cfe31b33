"""A model over another graph: what an effect would be had discovery returned that graph instead."""

from __future__ import annotations

import copy

import networkx as nx
import numpy as np
import pandas as pd
from dowhy import gcm
from dowhy.gcm.fitting_sampling import fit_causal_model_of_target
from dowhy.graph import get_ordered_predecessors

from simulacra.engine.checks.column_types import NUMERIC_TYPES
from simulacra.engine.model.mechanisms import candidates
from simulacra.engine.model.model_file import FittedModel


def refit_on_graph(
    base: FittedModel, frame: pd.DataFrame, edges: list[list[str]], keep: set[str], seed: int
) -> FittedModel:
    """The base model's columns that ``keep`` depend on, with mechanisms fitted on ``frame`` over ``edges``.

    Only the ancestors of ``keep`` are modelled: nothing else can change their distribution under an
    intervention. A column whose parents are the base model's keeps its mechanism's kind (refitted); a
    column with new parents gets the fit's default for its type (linear, or multinomial logistic):
    choosing among candidates by held-out score, as the fit does, cost most of a resample's time.
    """
    dag = nx.DiGraph()
    dag.add_nodes_from(base.graph.nodes)
    dag.add_edges_from(tuple(edge) for edge in edges)
    needed = set(keep)
    for node in keep:
        needed |= nx.ancestors(dag, node)
    sub = nx.DiGraph(dag.subgraph(needed))
    scm = gcm.StructuralCausalModel(sub)
    types = base.schema.types
    # gcm draws from numpy's process-wide generator; the engine runs one job per process.
    np.random.seed(seed)
    for node in nx.topological_sort(sub):
        parents = get_ordered_predecessors(sub, node)
        if node in base.scm.graph and get_ordered_predecessors(base.scm.graph, node) == parents:
            mechanism = copy.deepcopy(base.scm.causal_mechanism(node))
        elif parents:
            distinct = int(frame[node].nunique()) if types[node] in NUMERIC_TYPES else 0
            mechanism = next(iter(candidates(types[node], distinct, seed, False).values()))()
        else:
            mechanism = gcm.EmpiricalDistribution()
        scm.set_causal_mechanism(node, mechanism)
        fit_causal_model_of_target(scm, node, frame)
    schema = base.schema.model_copy(update={"columns": [c for c in base.schema.columns if c.name in needed]})
    graph = base.graph.model_copy(
        update={"nodes": [n for n in base.graph.nodes if n in needed], "edges": list(sub.edges)}
    )
    return FittedModel(scm, schema, graph, base.seed_values)
