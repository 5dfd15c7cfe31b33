"""validation_figures: the distributions and associations the model report draws, from the held-out rows and
the rows sampled against them (engine.records.figures says what each field holds)."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from simulacra.engine.evaluation.fidelity import BINS, cramers_v, pearson
from simulacra.engine.records.figures import (
    MAX_BINS,
    MAX_LEVELS,
    MISSING,
    OTHER,
    Associations,
    ColumnDistribution,
    ValidationFigures,
)
from simulacra.engine.records.schema import CleanedSchema, SchemaColumn

NUMERIC_TYPES = ("numeric", "integer")


def validation_figures(real: pd.DataFrame, synthetic: pd.DataFrame, schema: CleanedSchema) -> ValidationFigures:
    return ValidationFigures(
        real_rows=len(real),
        synthetic_rows=len(synthetic),
        columns=[_distribution(column, real[column.name], synthetic[column.name]) for column in schema.columns],
        associations=_associations(real, synthetic, schema),
    )


def _shares(counts: np.ndarray, total: int) -> list[float]:
    return [round(float(count) / max(total, 1), 4) for count in counts]


def _distribution(column: SchemaColumn, real: pd.Series, synthetic: pd.Series) -> ColumnDistribution:
    if column.type in NUMERIC_TYPES:
        return _numeric(column.name, _numbers(real), _numbers(synthetic), integer=column.type == "integer")
    # An answer scale keeps its order (low to high); other levels go from the most common down.
    scale = [level.value for level in column.levels or []] if column.type == "ordinal" else None
    return _categorical(column.name, real, synthetic, scale)


def _numbers(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _numeric(name: str, real: np.ndarray, synthetic: np.ndarray, *, integer: bool) -> ColumnDistribution:
    present = real[~np.isnan(real)]
    low, high = (float(present.min()), float(present.max())) if present.size else (0.0, 1.0)
    if integer and high - low < MAX_BINS:
        edges = np.arange(low - 0.5, high + 1.0, 1.0)  # one bar per whole number: a scale reads as a scale
    else:
        edges = np.histogram_bin_edges(present if present.size else [low, high], bins=MAX_BINS)

    def counts(values: np.ndarray) -> tuple[list[float], float]:
        kept = values[~np.isnan(values)]
        binned = np.clip(np.searchsorted(edges[1:-1], kept, side="right"), 0, len(edges) - 2)
        return _shares(np.bincount(binned, minlength=len(edges) - 1), values.size), _missing(values)

    (real_shares, real_missing), (synthetic_shares, synthetic_missing) = counts(real), counts(synthetic)
    return ColumnDistribution(
        column=name,
        kind="numeric",
        edges=[round(float(edge), 6) for edge in edges],
        real=real_shares,
        synthetic=synthetic_shares,
        missing_real=real_missing,
        missing_synthetic=synthetic_missing,
    )


def _missing(values: np.ndarray) -> float:
    return round(float(np.isnan(values).mean()), 4) if values.size else 0.0


def _labels(values: pd.Series) -> pd.Series:
    # As generated rows carry them: booleans as "true"/"false", whole floats without ".0".
    def label(value: object) -> str:
        if isinstance(value, bool | np.bool_):
            return "true" if value else "false"
        if isinstance(value, float | np.floating) and float(value).is_integer():
            return str(int(value))
        return str(value)

    return values.map(label, na_action="ignore").fillna(MISSING)


def _categorical(name: str, real: pd.Series, synthetic: pd.Series, scale: list[str] | None) -> ColumnDistribution:
    real_labels, synthetic_labels = _labels(real), _labels(synthetic)
    ranked = [level for level in real_labels.value_counts().index if level != MISSING]
    levels = ranked[:MAX_LEVELS]
    if scale:
        levels = [level for level in scale if level in levels]
    rest = len(ranked) > MAX_LEVELS or bool((~synthetic_labels.isin([*levels, MISSING])).any())
    gaps = bool((real_labels == MISSING).any() or (synthetic_labels == MISSING).any())
    shown = [*levels, *([OTHER] if rest else []), *([MISSING] if gaps else [])]

    def shares(labels: pd.Series) -> list[float]:
        folded = labels.where(labels.isin([*levels, MISSING]), OTHER)
        counts = folded.value_counts()
        return _shares(np.array([counts.get(level, 0) for level in shown]), len(labels))

    return ColumnDistribution(
        column=name,
        kind="categorical",
        levels=shown,
        real=shares(real_labels),
        synthetic=shares(synthetic_labels),
        missing_real=round(float((real_labels == MISSING).mean()), 4) if len(real) else 0.0,
        missing_synthetic=round(float((synthetic_labels == MISSING).mean()), 4) if len(synthetic) else 0.0,
    )


def _associations(real: pd.DataFrame, synthetic: pd.DataFrame, schema: CleanedSchema) -> Associations:
    names, types = schema.names, schema.types
    numeric = {name for name in names if types[name] in NUMERIC_TYPES}
    matrices = []
    for frame in (real, synthetic):
        # Numbers are cut on the real rows' range, as fidelity.py cuts them, so both sides share bins.
        labels = {
            name: _cut(frame[name], real[name]) if name in numeric else _labels(frame[name]).mask(_is_missing)
            for name in names
        }
        matrix = np.eye(len(names))
        for (i, a), (j, b) in combinations(enumerate(names), 2):
            if a in numeric and b in numeric:
                value = abs(pearson(_numbers(frame[a]), _numbers(frame[b])))
            else:
                value = cramers_v(labels[a], labels[b])
            matrix[i, j] = matrix[j, i] = round(value, 3)
        matrices.append(matrix.tolist())
    return Associations(
        measure="|Pearson r| for two numeric columns, otherwise Cramer's V (numbers cut into ten bins)",
        columns=names,
        real=matrices[0],
        synthetic=matrices[1],
    )


def _is_missing(labels: pd.Series) -> pd.Series:
    return labels == MISSING


def _cut(values: pd.Series, reference: pd.Series) -> pd.Series:
    numbers, present = _numbers(values), _numbers(reference)
    present = present[~np.isnan(present)]
    edges = np.histogram_bin_edges(present if present.size else [0.0, 1.0], bins=BINS)
    codes = np.clip(np.searchsorted(edges[1:-1], numbers, side="right"), 0, BINS - 1).astype(object)
    codes[np.isnan(numbers)] = None
    return pd.Series(codes)
