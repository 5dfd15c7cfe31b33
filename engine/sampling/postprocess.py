"""Raw model draws to output rows: the schema's names, types, bounds, decimals and gaps."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulacra.engine.checks.column_types import NUMERIC_TYPES
from simulacra.engine.checks.conditions import Conditions
from simulacra.engine.cleaning.profile import decimal_places
from simulacra.engine.frames import MISSING_LEVEL
from simulacra.engine.records.schema import CleanedSchema, SchemaColumn
from simulacra.engine.sampling.draws import Draws


def to_table(samples: Draws, schema: CleanedSchema, conditions: Conditions, rng: np.random.Generator) -> pa.Table:
    """Arrow table in schema order: integer -> int64, numeric -> float64, categorical -> string, boolean -> bool."""
    arrays = {}
    for column in schema.columns:
        name = column.name
        values = samples.columns[name]
        if column.type in NUMERIC_TYPES:
            arrays[name] = _numbers(values, column, conditions.numeric.get(name), rng)
        else:
            arrays[name] = _labels(values, samples.levels[name], column.type)
    return pa.table(arrays)


def _numbers(values: np.ndarray, column: SchemaColumn, bounds: tuple | None, rng: np.random.Generator) -> pa.Array:
    low, high = column.bounds
    decimals = column.decimals or 0
    if bounds is not None:
        # The condition's range wins over the seed's, and its own precision is kept.
        low = bounds[0] if bounds[0] is not None else min(low, bounds[1])
        high = bounds[1] if bounds[1] is not None else max(high, bounds[0])
        if column.type == "numeric":
            decimals = max(decimals, decimal_places(np.array([low, high])))
    numbers = np.clip(values.astype(float), low, high)
    missing = None if bounds is not None else _gaps(numbers, column, rng)
    if column.type == "integer":
        return pa.array(np.round(numbers).astype(np.int64), type=pa.int64(), mask=missing)
    return pa.array(np.round(numbers, decimals), type=pa.float64(), mask=missing)


def _labels(codes: np.ndarray, levels: np.ndarray, column_type: str) -> pa.Array:
    # Each level is converted once and the rows pick theirs by code. The model's missing level is
    # how unconditioned categories re-create their gaps.
    missing = levels == MISSING_LEVEL
    if column_type == "boolean":
        return pa.array((levels == "true")[codes], type=pa.bool_(), mask=missing[codes])
    names = pa.array([str(level) for level in levels], type=pa.string(), mask=missing)
    return pc.take(names, pa.array(codes))


def _gaps(numbers: np.ndarray, column: SchemaColumn, rng: np.random.Generator) -> np.ndarray | None:
    """The seed's share of gaps, on the rows holding the seed's median first.

    The model is fitted with a number's gaps filled by its median (engine.frames), so it draws
    that value about as often as the seed had gaps on top of the real answers there: blanking those
    rows first gives the seed's distribution back instead of a spike at the median.
    """
    rows = len(numbers)
    count = int(round(column.missing_share * rows))
    if count == 0:
        return None
    median = (column.quantiles or {})["p50"]
    # The schema's median is rounded to 6 decimals.
    at_fill = np.abs(numbers - median) <= 1e-6 * max(1.0, abs(median))
    first, rest = np.flatnonzero(at_fill), np.flatnonzero(~at_fill)
    # A random subset of the rows at the median, topped up by a random subset of the others.
    chosen = rng.choice(first, size=min(count, len(first)), replace=False)
    extra = rng.choice(rest, size=count - len(chosen), replace=False)
    mask = np.zeros(rows, dtype=bool)
    mask[chosen] = True
    mask[extra] = True
    return mask
