"""Draws from a fitted SCM, evaluated by the engine itself on numpy arrays.

gcm's own ``draw_samples`` keeps every column in a pandas frame of Python objects: categories are
strings, each mechanism one-hot encodes its parents by matching those strings (sklearn's
OneHotEncoder), and ``interventional_samples`` draws the whole model once, then again for the nodes
an intervention reaches, applying the intervention through a Python call per row. On the bench's
categorical networks that held sampling near 50,000 rows/s. Here a column with a finite set of
values (every category, and numbers drawn from a handful of values) travels as integer codes into
that set, interventions replace a node's draw outright, and each mechanism is evaluated by
engine.sampling.node_plans: as a lookup table over its parents' value combinations when they are
few, on a one-hot design matrix otherwise. Rows go through in bounded chunks so those matrices stay
small. The fitted estimators are called as they were fitted, on the same encoded inputs, so the
distributions are the model's own.

Each node draws its noise from a generator of its own, seeded by (seed, node position): an
intervention on one column leaves every other column's noise as it was, so two arms of an effect
share their units' noise, and the same seed gives the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from dowhy import gcm
from dowhy.graph import get_ordered_predecessors
from threadpoolctl import ThreadpoolController

from simulacra.engine.checks.column_types import NUMERIC_TYPES
from simulacra.engine.model.model_file import FittedModel
from simulacra.engine.sampling.node_plans import MAX_VALUES, Chunk, Plan

# Rows per chunk: a mechanism's design matrix is at most this many rows by its encoded width.
CHUNK = 1 << 17


@dataclass
class Draws:
    """Drawn rows by column: numbers as float64, categories as int32 codes into ``levels[name]``."""

    columns: dict[str, np.ndarray]
    levels: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def take(self, rows: np.ndarray) -> Draws:
        """The rows at those positions (or where a boolean mask is true), in that order."""
        return Draws({name: values[rows] for name, values in self.columns.items()}, self.levels)

    @staticmethod
    def concat(parts: list[Draws]) -> Draws:
        """Parts drawn from one sampler (so with the same levels) as one set of rows."""
        columns = {name: np.concatenate([part.columns[name] for part in parts]) for name in parts[0].columns}
        return Draws(columns, parts[0].levels)


class Sampler:
    """A fitted model readied for drawing: topological order, parents and value sets per node."""

    def __init__(self, model: FittedModel) -> None:
        scm = model.scm
        types = model.schema.types
        self.order = list(nx.topological_sort(scm.graph))
        self.parents = {node: list(get_ordered_predecessors(scm.graph, node)) for node in self.order}
        self.mechanisms = {node: scm.causal_mechanism(node) for node in self.order}
        self.categorical = {node for node in self.order if types[node] not in NUMERIC_TYPES}
        # Value sets: a category's levels, or the few numbers a node can take; roots' seed rows as codes.
        self.values: dict[str, np.ndarray] = {}
        self.root_codes: dict[str, np.ndarray] = {}
        self.root_numbers: dict[str, np.ndarray] = {}
        for node in self.order:
            mechanism = self.mechanisms[node]
            if isinstance(mechanism, gcm.ClassifierFCM):
                classes = np.asarray(mechanism.classifier_model.classes)
                self.values[node] = classes.astype(object if node in self.categorical else float)
            elif not self.parents[node]:
                data = mechanism.data.reshape(-1)
                data = data.astype(object) if node in self.categorical else data.astype(float)
                values, codes = np.unique(data, return_inverse=True)
                if node in self.categorical or len(values) <= MAX_VALUES:
                    self.values[node], self.root_codes[node] = values, codes.astype(np.int32)
                else:
                    self.root_numbers[node] = data

    def draw(
        self,
        rows: int,
        seed: int | list[int],
        *,
        levels: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
        numbers: dict[str, np.ndarray] | None = None,
    ) -> Draws:
        """rows draws. Interventions set categories (their labels, and each row's code into them)
        and numbers (one per row): those columns are not drawn, and the columns they cause react."""
        # Small models: BLAS and OpenMP thread pools cost more than they save (see engine.model.fit).
        with _thread_limits().limit(limits=1):
            return self._draw(rows, seed, levels or {}, numbers or {})

    def _draw(
        self, rows: int, seed: int | list[int], levels: dict[str, tuple], numbers: dict[str, np.ndarray]
    ) -> Draws:
        values = dict(self.values)
        fixed = {*levels, *numbers}
        fixed_codes, fixed_numbers = {}, {}
        for name, given in levels.items():
            values[name], fixed_codes[name] = _extend(values[name], given)
        for name, column in numbers.items():
            column = np.asarray(column, dtype=float)
            distinct, codes = np.unique(column, return_inverse=True)
            values.pop(name, None)
            if len(distinct) <= MAX_VALUES:
                values[name], fixed_codes[name] = distinct, codes.astype(np.int32)
            else:
                fixed_numbers[name] = column
        entropy = [seed] if isinstance(seed, int) else list(seed)
        streams = {node: np.random.default_rng([*entropy, index]) for index, node in enumerate(self.order)}
        # Plans are made per draw: an intervention can add a level the parents' encoders must place.
        plans = {
            node: Plan(node, self.parents[node], self.mechanisms[node], values, self.categorical)
            for node in self.order
            if self.parents[node] and node not in fixed
        }
        parts = []
        for start in range(0, rows, CHUNK):
            stop = min(start + CHUNK, rows)
            chunk = Chunk(values)
            for node in self.order:
                if node in fixed_codes:
                    chunk.set_codes(node, fixed_codes[node][start:stop])
                elif node in fixed_numbers:
                    chunk.numbers[node] = fixed_numbers[node][start:stop]
                elif node in self.root_codes:
                    codes = self.root_codes[node]
                    chunk.set_codes(node, codes[streams[node].integers(0, len(codes), stop - start)])
                elif node in self.root_numbers:
                    data = self.root_numbers[node]
                    chunk.numbers[node] = data[streams[node].integers(0, len(data), stop - start)]
                else:
                    plans[node].draw(chunk, stop - start, streams[node])
            parts.append(Draws(chunk.output(self.order, self.categorical), _levels(values, self.categorical)))
        if not parts:
            return Draws({node: np.empty(0) for node in self.order}, _levels(values, self.categorical))
        return Draws.concat(parts)


def _levels(values: dict[str, np.ndarray], categorical: set[str]) -> dict[str, np.ndarray]:
    return {name: values[name] for name in categorical}


def _extend(levels: np.ndarray, given: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Levels with any new label of ``given`` appended, and each row's code among them."""
    labels, codes = given
    position = {label: index for index, label in enumerate(levels)}
    new = [label for label in labels if label not in position]
    merged = np.concatenate([levels, np.array(new, dtype=object)]) if new else levels
    position.update({label: len(levels) + index for index, label in enumerate(new)})
    lookup = np.array([position[label] for label in labels], dtype=np.int32)
    return merged, lookup[codes]


def _thread_limits() -> ThreadpoolController:
    # Finding the loaded BLAS and OpenMP libraries reads the process's memory maps: done once, not per draw.
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


_CONTROLLER: ThreadpoolController | None = None
