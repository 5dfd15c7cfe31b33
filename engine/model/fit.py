"""fit_model: a DoWhy gcm structural causal model over the discovered graph."""

from __future__ import annotations

import time

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from dowhy import gcm
from dowhy.gcm.fitting_sampling import fit_causal_model_of_target
from dowhy.graph import get_ordered_predecessors
from sklearn.metrics import r2_score
from threadpoolctl import threadpool_limits

from simulacra.engine.checks.column_types import NUMERIC_TYPES
from simulacra.engine.checks.errors import EngineInputError
from simulacra.engine.frames import model_frame
from simulacra.engine.model.mechanisms import ROOT, Mechanism
from simulacra.engine.model.model_file import FittedModel, save_model
from simulacra.engine.model.selection import select_mechanism
from simulacra.engine.records.fit import FitReport, NodeFitReport
from simulacra.engine.records.graph import CausalGraph
from simulacra.engine.records.schema import CleanedSchema


def fit_model(
    parquet_path: str,
    schema: CleanedSchema,
    graph: CausalGraph,
    model_out: str,
    *,
    seed: int = 0,
    whole_table: str | None = None,
) -> FitReport:
    """Fit one mechanism per column on the graph, pickle the model to model_out, return a fit report.

    Each non-root node's mechanism is chosen by engine.model.selection; the report names it per node with
    its in-sample quality and the held-out scores of the candidates it was chosen from. When `parquet_path`
    is a large seed's fit sample, `whole_table` is the cleaned table: the values sampled numbers snap to
    come from all of it, so sampling is the same whatever the model was fitted on.
    """
    # The models here are small: OpenMP and BLAS thread pools cost far more than they save, ten-
    # to twenty-fold on two busy cores, so the fit runs single-threaded.
    with threadpool_limits(limits=1):
        return _fit_model(parquet_path, schema, graph, model_out, seed, whole_table or parquet_path)


def _fit_model(
    parquet_path: str, schema: CleanedSchema, graph: CausalGraph, model_out: str, seed: int, whole_table: str
) -> FitReport:
    started = time.perf_counter()
    frame = model_frame(parquet_path, schema)
    dag = _as_dag(schema, graph)
    scm = gcm.StructuralCausalModel(dag)
    types = schema.types
    # gcm draws from numpy's process-wide generator; the engine runs one job per process.
    np.random.seed(seed)
    report: dict[str, NodeFitReport] = {}
    for node in nx.topological_sort(dag):
        parents = get_ordered_predecessors(dag, node)
        if parents:
            mechanism, label, selection = select_mechanism(frame, node, parents, types[node], seed)
        else:
            mechanism, label, selection = gcm.EmpiricalDistribution(), ROOT, None
        scm.set_causal_mechanism(node, mechanism)
        fit_causal_model_of_target(scm, node, frame)
        quality = _quality(mechanism, frame, node, parents)
        report[node] = NodeFitReport(mechanism=label, parents=list(parents), selection=selection, **quality)
    save_model(FittedModel(scm, schema, graph, _seed_values(whole_table, schema)), model_out)
    ordered = {name: report[name] for name in schema.names}
    return FitReport(nodes=ordered, fit_seconds=round(time.perf_counter() - started, 3))


def _as_dag(schema: CleanedSchema, graph: CausalGraph) -> nx.DiGraph:
    names = schema.names
    dag = nx.DiGraph()
    dag.add_nodes_from(names)
    for source, target in graph.edges:
        if source not in dag or target not in dag:
            detail = f"graph edge {source} -> {target} names a column not in the schema"
            raise EngineInputError("simio_invalid_field", detail)
        dag.add_edge(source, target)
    if not nx.is_directed_acyclic_graph(dag):
        raise EngineInputError("simio_invalid_field", f"the graph has a cycle: {nx.find_cycle(dag)}")
    return dag


def _quality(mechanism: Mechanism, frame: pd.DataFrame, node: str, parents: list[str]) -> dict[str, float]:
    # In-sample fit: how much of the column its parents explain.
    if not parents:
        return {}
    inputs, observed = frame[parents].to_numpy(), frame[node].to_numpy()
    if isinstance(mechanism, gcm.AdditiveNoiseModel):
        predicted = mechanism.prediction_model.predict(inputs).reshape(-1)
        return {"r2": round(float(r2_score(observed, predicted)), 4)}
    probabilities = mechanism.estimate_probabilities(inputs)
    predicted = np.asarray(mechanism.get_class_names(np.argmax(probabilities, axis=1)))
    return {"accuracy": round(float(np.mean(predicted == observed)), 4)}


def _seed_values(parquet_path: str, schema: CleanedSchema) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    numeric = [column.name for column in schema.columns if column.type in NUMERIC_TYPES]
    table = pq.read_table(parquet_path, columns=numeric)
    return {name: np.unique(table[name].drop_null().to_numpy().astype(float), return_counts=True) for name in numeric}
