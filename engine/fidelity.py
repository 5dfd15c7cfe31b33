"""Fidelity of synthetic rows to real ones, in the spirit of SDMetrics' Quality Report.

Two properties, each a score in [0, 1] where 1 means indistinguishable:

- column shapes: per column, 1 - Kolmogorov-Smirnov statistic for numbers and
  1 - total variation distance between level frequencies for categories;
- column pair trends: per pair of columns, 1 - |r_real - r_synthetic| / 2 on Pearson correlation
  when both are numbers, otherwise 1 - total variation distance between the two joint frequency
  tables (numbers cut into ten bins on the real data's range).

Like SDMetrics (0.32), the pair trends score averages only the pairs that are associated in the
real data, |Pearson r| > 0.5 for two numbers or Cramer's V > 0.3 otherwise, so that a table of
mostly independent columns cannot score well by leaving them independent; if no pair qualifies,
all pairs count. The overall score is the mean of the two property scores. Missing values are left
out of numeric comparisons and count as a level of their own for categories.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

BINS = 10
CORRELATION_THRESHOLD, ASSOCIATION_THRESHOLD = 0.5, 0.3
NUMERIC, CATEGORICAL = "numeric", "categorical"


def quality_report(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str] | None = None) -> dict:
    """Score synthetic against real over the real frame's columns.

    ``kinds`` maps a column to "numeric" or "categorical" (schema types "integer" and "boolean"
    are accepted too); columns left out are judged by their dtype.
    """
    missing = [name for name in real.columns if name not in synthetic.columns]
    if missing:
        raise ValueError(f"synthetic rows lack the column(s) {missing}")
    kinds = {name: _kind(real[name], (kinds or {}).get(name)) for name in real.columns}
    shapes = {name: round(column_shape(real[name], synthetic[name], kinds[name]), 6) for name in real.columns}
    pairs = {}
    for a, b in combinations(real.columns, 2):
        score, associated = pair_trend(real[[a, b]], synthetic[[a, b]], (kinds[a], kinds[b]))
        pairs[f"{a}|{b}"] = {"score": round(score, 6), "associated": associated}
    counted = [pair["score"] for pair in pairs.values() if pair["associated"]]
    counted = counted or [pair["score"] for pair in pairs.values()]
    shapes_score = float(np.mean(list(shapes.values()))) if shapes else 1.0
    pairs_score = float(np.mean(counted)) if counted else 1.0
    return {
        "score": round((shapes_score + pairs_score) / 2, 6),
        "column_shapes": round(shapes_score, 6),
        "column_pair_trends": round(pairs_score, 6),
        "columns": shapes,
        "pairs": pairs,
    }


def column_shape(real: pd.Series, synthetic: pd.Series, kind: str) -> float:
    """1 - KS statistic (numbers) or 1 - TVD of level frequencies (categories)."""
    if kind == NUMERIC:
        return 1.0 - ks_statistic(_numbers(real), _numbers(synthetic))
    return 1.0 - tvd(_labels(real), _labels(synthetic))


def pair_trend(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: tuple[str, str]) -> tuple[float, bool]:
    """(similarity, whether the real pair is associated): correlation similarity for two numbers,
    contingency similarity otherwise."""
    a, b = real.columns
    if kinds == (NUMERIC, NUMERIC):
        r = _pearson(real[a], real[b])
        return 1.0 - abs(r - _pearson(synthetic[a], synthetic[b])) / 2, abs(r) > CORRELATION_THRESHOLD
    real_a, real_b = _cells(real[a], real[a], kinds[0]), _cells(real[b], real[b], kinds[1])
    real_cells = real_a + "\x1f" + real_b
    synthetic_cells = _cells(synthetic[a], real[a], kinds[0]) + "\x1f" + _cells(synthetic[b], real[b], kinds[1])
    return 1.0 - tvd(real_cells, synthetic_cells), cramers_v(real_a, real_b) > ASSOCIATION_THRESHOLD


def cramers_v(a: pd.Series, b: pd.Series) -> float:
    """Cramer's V of two label series (no bias correction), 0 for a constant column."""
    table = pd.crosstab(a.to_numpy(), b.to_numpy()).to_numpy(dtype=float)
    if min(table.shape) < 2:
        return 0.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / (table.sum() * (min(table.shape) - 1))))


def ks_statistic(real: np.ndarray, synthetic: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs."""
    if real.size == 0 or synthetic.size == 0:
        return 0.0 if real.size == synthetic.size else 1.0
    real, synthetic = np.sort(real), np.sort(synthetic)
    grid = np.concatenate([real, synthetic])
    gap = (
        np.searchsorted(real, grid, side="right") / real.size
        - np.searchsorted(synthetic, grid, side="right") / synthetic.size
    )
    return float(np.max(np.abs(gap)))


def tvd(real: pd.Series, synthetic: pd.Series) -> float:
    """Total variation distance between the label frequencies of two series."""
    p = real.value_counts(normalize=True)
    q = synthetic.value_counts(normalize=True)
    p, q = p.align(q, fill_value=0.0)
    return float(0.5 * np.abs(p - q).sum())


def _kind(values: pd.Series, declared: str | None) -> str:
    if declared is not None:
        return NUMERIC if declared in (NUMERIC, "integer") else CATEGORICAL
    if ptypes.is_bool_dtype(values) or not ptypes.is_numeric_dtype(values):
        return CATEGORICAL
    return NUMERIC


def _numbers(values: pd.Series) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return numbers[~np.isnan(numbers)]


def _labels(values: pd.Series) -> pd.Series:
    # One string per value, so that 1, 1.0 and "1" from different writers agree, and gaps are a level.
    present = values.notna().to_numpy()
    labels = np.full(len(values), "\x00missing", dtype=object)
    labels[present] = [_label(v) for v in values.to_numpy()[present]]
    return pd.Series(labels)


def _label(value: object) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _cells(values: pd.Series, reference: pd.Series, kind: str) -> pd.Series:
    if kind != NUMERIC:
        return _labels(values)
    ref = _numbers(reference)
    edges = np.histogram_bin_edges(ref, bins=BINS) if ref.size else np.array([0.0, 1.0])
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    codes = np.clip(np.searchsorted(edges[1:-1], numbers, side="right"), 0, BINS - 1).astype(str).astype(object)
    codes[np.isnan(numbers)] = "\x00missing"
    return pd.Series(codes)


def _pearson(a: pd.Series, b: pd.Series) -> float:
    x = pd.to_numeric(a, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    y = pd.to_numeric(b, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if x.size < 2 or x.std() == 0 or y.std() == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])
