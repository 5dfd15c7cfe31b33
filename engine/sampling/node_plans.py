"""How one fitted mechanism turns its parents' drawn values into its own, vectorised.

A mechanism whose parents all take few values (categories, and numbers drawn from a handful of
values) depends on the row only through their combination: it is evaluated once per combination
when the Sampler is set up, and a row's draw is a lookup, one ``searchsorted`` over the stacked
cumulative probabilities for a classifier. Otherwise it is evaluated chunk by chunk on the one-hot
design matrix its estimator was fitted on, built by indexing an identity matrix with level codes.
"""

from __future__ import annotations

import numpy as np
from dowhy import gcm
from sklearn.preprocessing import OneHotEncoder

from simulacra.engine.model.mechanisms import Mechanism

# A number with at most this many distinct values travels as codes, like a category.
MAX_VALUES = 256
# Parent combinations evaluated up front; past this the mechanism is evaluated per row.
MAX_COMBINATIONS = 4096


class Chunk:
    """One chunk's columns while it is drawn: codes for value-set columns, float64 for numbers."""

    def __init__(self, values: dict[str, np.ndarray]) -> None:
        self.values = values
        self.codes: dict[str, np.ndarray] = {}
        self.numbers: dict[str, np.ndarray] = {}

    def set_codes(self, node: str, codes: np.ndarray) -> None:
        self.codes[node] = codes
        if self.values[node].dtype != object:
            self.numbers[node] = self.values[node][codes]

    def output(self, order: list[str], categorical: set[str]) -> dict[str, np.ndarray]:
        return {node: self.codes[node] if node in categorical else self.numbers[node] for node in order}


class Plan:
    """A non-root node's mechanism, ready to draw: by table over parent combinations, or directly."""

    def __init__(
        self, node: str, parents: list[str], mechanism: Mechanism, values: dict[str, np.ndarray], categorical: set[str]
    ) -> None:
        self.node, self.parents, self.categorical = node, parents, categorical
        self.classifier = isinstance(mechanism, gcm.ClassifierFCM)
        wrapper = mechanism.classifier_model if self.classifier else mechanism.prediction_model
        # The gcm wrapper (engine.model.mechanisms' OneHotRegressor / OneHotClassifier) holds the
        # fitted sklearn estimator and the one-hot encoder of each categorical parent.
        self.estimator = wrapper._sklearn_mdl
        self.encodings = _encodings(node, parents, getattr(wrapper, "_encoders", None) or {}, values, categorical)
        if not self.classifier:
            self.noise = np.asarray(mechanism.noise_model.data).astype(float).reshape(-1)
        radix = [len(values[parent]) for parent in parents if parent in values]
        self.table = None
        if len(radix) == len(parents) and np.prod(radix, dtype=float) <= MAX_COMBINATIONS:
            self.strides = np.cumprod([1, *radix[:0:-1]])[::-1].astype(np.int64)
            grid = np.indices(radix).reshape(len(parents), -1)
            inputs = [
                codes if parent in categorical else values[parent][codes]
                for parent, codes in zip(parents, grid, strict=True)
            ]
            self.table = self._evaluate(inputs)
            if self.classifier:
                cumulative = np.cumsum(self.table, axis=1)
                cumulative /= cumulative[:, -1:]
                # Row c of the table occupies [c, c + 1]: one sorted array serves every combination.
                self.classes = cumulative.shape[1]
                self.stacked = (cumulative + np.arange(len(cumulative))[:, None]).reshape(-1)

    def draw(self, chunk: Chunk, rows: int, stream: np.random.Generator) -> None:
        if self.classifier:
            uniform = stream.random(rows)
            if self.table is not None:
                key = self._key(chunk)
                position = np.searchsorted(self.stacked, key + uniform) - key * self.classes
                index = np.clip(position, 0, self.classes - 1)
            else:
                index = _inverse_cdf(self._evaluate(self._inputs(chunk)), uniform)
            # A classifier's classes are its node's value set (levels, or a number's few values).
            chunk.set_codes(self.node, index.astype(np.int32))
            return
        prediction = self.table[self._key(chunk)] if self.table is not None else self._evaluate(self._inputs(chunk))
        chunk.numbers[self.node] = prediction + self.noise[stream.integers(0, len(self.noise), size=rows)]

    def _key(self, chunk: Chunk) -> np.ndarray:
        key = np.zeros(len(chunk.codes[self.parents[0]]), dtype=np.int64)
        for parent, stride in zip(self.parents, self.strides, strict=True):
            key += chunk.codes[parent].astype(np.int64) * stride
        return key

    def _inputs(self, chunk: Chunk) -> list[np.ndarray]:
        return [chunk.codes[parent] if parent in self.categorical else chunk.numbers[parent] for parent in self.parents]

    def _evaluate(self, inputs: list[np.ndarray]) -> np.ndarray:
        blocks = [
            values.reshape(-1, 1) if encoding is None else encoding[values]
            for values, encoding in zip(inputs, self.encodings, strict=True)
        ]
        design = np.hstack(blocks).astype(float, copy=False)
        if self.classifier:
            return np.asarray(self.estimator.predict_proba(design), dtype=float)
        return np.asarray(self.estimator.predict(design), dtype=float).reshape(-1)


def _encodings(
    node: str, parents: list[str], encoders: dict, values: dict[str, np.ndarray], categorical: set[str]
) -> list[np.ndarray | None]:
    """Per parent: None (a number, passed as is) or the one-hot rows its level codes select."""
    encodings: list[np.ndarray | None] = []
    for position, parent in enumerate(parents):
        if parent not in categorical:
            encodings.append(None)
            continue
        encoder = encoders.get(position)
        if not isinstance(encoder, OneHotEncoder):
            # Every mechanism engine.model.mechanisms fits one-hot encodes its categorical parents.
            raise ValueError(f"the mechanism of {node} does not one-hot encode its parent {parent}")
        known = {label: index for index, label in enumerate(encoder.categories_[0])}
        width = len(known)
        # A level the encoder never saw encodes as all zeros (its handle_unknown="ignore").
        lookup = np.array([known.get(label, width) for label in values[parent]], dtype=np.intp)
        encodings.append(np.eye(width + 1, width)[lookup])
    return encodings


def _inverse_cdf(probabilities: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Per row, the first class whose cumulative probability reaches the row's uniform draw."""
    index = (np.cumsum(probabilities, axis=1) < uniform[:, None]).sum(axis=1)
    # Rounding can leave the last cumulative share a hair under 1.
    return np.minimum(index, probabilities.shape[1] - 1)
