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

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

BINS = 10
CORRELATION_THRESHOLD, ASSOCIATION_THRESHOLD = 0.5, 0.3
NUMERIC, CATEGORICAL = "numeric", "categorical"
MISSING = "\x00missing"
# Object columns whose equal values (as pandas hashes them) always share a label, so labelling each
# distinct value once is exact; other mixes (True next to 1, Decimal, ...) are labelled value by value.
_HASH_SAFE = frozenset({"string", "integer", "floating", "mixed-integer-float", "boolean", "empty"})


@dataclass(frozen=True)
class _Column:
    """One column of both frames, converted once: cell codes (labels for categories, bins of the real
    range for numbers) in a code space shared by both sides, and for numbers the values themselves."""

    kind: str
    real_cells: np.ndarray
    synthetic_cells: np.ndarray
    levels: int
    real_numbers: np.ndarray | None = None
    synthetic_numbers: np.ndarray | None = None


def quality_report(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str] | None = None) -> dict:
    """Score synthetic against real over the real frame's columns.

    ``kinds`` maps a column to "numeric" or "categorical" (schema types "integer" and "boolean"
    are accepted too); columns left out are judged by their dtype.
    """
    missing = [name for name in real.columns if name not in synthetic.columns]
    if missing:
        raise ValueError(f"synthetic rows lack the column(s) {missing}")
    columns = {
        name: _column(real[name], synthetic[name], _kind(real[name], (kinds or {}).get(name))) for name in real.columns
    }
    shapes = {name: round(_shape(column), 6) for name, column in columns.items()}
    pairs = {}
    for a, b in combinations(real.columns, 2):
        score, associated = _pair_trend(columns[a], columns[b])
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


def cramers_v(a: pd.Series, b: pd.Series) -> float:
    """Cramer's V of two label series (no bias correction), 0 for a constant column."""
    a_codes, b_codes = pd.factorize(a.to_numpy())[0], pd.factorize(b.to_numpy())[0]
    both = (a_codes >= 0) & (b_codes >= 0)
    return _cramers_v(a_codes[both], b_codes[both], int(a_codes.max(initial=-1)) + 1, int(b_codes.max(initial=-1)) + 1)


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
    """Total variation distance between the label frequencies of two series (missing values left out)."""
    codes = pd.factorize(pd.concat([real, synthetic], ignore_index=True).to_numpy())[0]
    real_codes, synthetic_codes = codes[: len(real)], codes[len(real) :]
    return _tvd(real_codes[real_codes >= 0], synthetic_codes[synthetic_codes >= 0], int(codes.max(initial=-1)) + 1)


def _number_pair(column: _Column) -> tuple[np.ndarray, np.ndarray]:
    """A numeric column's real and synthetic values (set for every numeric column)."""
    assert column.real_numbers is not None and column.synthetic_numbers is not None
    return column.real_numbers, column.synthetic_numbers


def _shape(column: _Column) -> float:
    if column.kind == NUMERIC:
        real, synthetic = _number_pair(column)
        return 1.0 - ks_statistic(real[~np.isnan(real)], synthetic[~np.isnan(synthetic)])
    return 1.0 - _tvd(column.real_cells, column.synthetic_cells, column.levels)


def _pair_trend(a: _Column, b: _Column) -> tuple[float, bool]:
    if a.kind == NUMERIC and b.kind == NUMERIC:
        (a_real, a_synthetic), (b_real, b_synthetic) = _number_pair(a), _number_pair(b)
        r = pearson(a_real, b_real)
        similarity = 1.0 - abs(r - pearson(a_synthetic, b_synthetic)) / 2
        return similarity, abs(r) > CORRELATION_THRESHOLD
    # One code per (a, b) cell; int64 holds the product of any two level counts a frame can have.
    real_cells = a.real_cells.astype(np.int64) * b.levels + b.real_cells
    synthetic_cells = a.synthetic_cells.astype(np.int64) * b.levels + b.synthetic_cells
    cells, seen = pd.factorize(np.concatenate([real_cells, synthetic_cells]))
    similarity = 1.0 - _tvd(cells[: real_cells.size], cells[real_cells.size :], seen.size)
    return similarity, _cramers_v(a.real_cells, b.real_cells, a.levels, b.levels) > ASSOCIATION_THRESHOLD


def _tvd(real: np.ndarray, synthetic: np.ndarray, levels: int) -> float:
    # An empty side has no frequencies (all zero), as value_counts would give.
    p = np.bincount(real, minlength=levels) / max(real.size, 1)
    q = np.bincount(synthetic, minlength=levels) / max(synthetic.size, 1)
    return float(0.5 * np.abs(p - q).sum())


def _cramers_v(a: np.ndarray, b: np.ndarray, a_levels: int, b_levels: int) -> float:
    # Chi-squared from the occupied cells only: an empty cell adds its expected count, and the
    # expected counts of all cells sum to the row count, so the empty ones add that total less the
    # occupied cells' expected counts (floored at 0 against rounding). No dense table of level pairs.
    rows, cols = np.bincount(a, minlength=a_levels), np.bincount(b, minlength=b_levels)
    shape = min(np.count_nonzero(rows), np.count_nonzero(cols))
    if shape < 2:
        return 0.0
    total = float(a.size)
    cells, occupied = pd.factorize(a.astype(np.int64) * b_levels + b)
    observed = np.bincount(cells).astype(float)
    expected = rows[occupied // b_levels].astype(float) * cols[occupied % b_levels] / total
    chi2 = float(((observed - expected) ** 2 / expected).sum()) + max(total - float(expected.sum()), 0.0)
    return float(np.sqrt(chi2 / (total * (shape - 1))))


def _kind(values: pd.Series, declared: str | None) -> str:
    if declared is not None:
        return NUMERIC if declared in (NUMERIC, "integer") else CATEGORICAL
    if ptypes.is_bool_dtype(values) or not ptypes.is_numeric_dtype(values):
        return CATEGORICAL
    return NUMERIC


def _column(real: pd.Series, synthetic: pd.Series, kind: str) -> _Column:
    if kind == NUMERIC:
        real_numbers, synthetic_numbers = _numbers(real), _numbers(synthetic)
        present = real_numbers[~np.isnan(real_numbers)]
        edges = np.histogram_bin_edges(present, bins=BINS) if present.size else np.array([0.0, 1.0])
        real_cells, synthetic_cells = _bins(real_numbers, edges), _bins(synthetic_numbers, edges)
        return _Column(kind, real_cells, synthetic_cells, BINS + 1, real_numbers, synthetic_numbers)
    (real_cells, synthetic_cells), levels = _label_codes([real, synthetic])
    return _Column(kind, real_cells, synthetic_cells, levels)


def _numbers(values: pd.Series) -> np.ndarray:
    # Missing (and unreadable) values are NaN here; each use drops them as it needs.
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _bins(numbers: np.ndarray, edges: np.ndarray) -> np.ndarray:
    codes = np.clip(np.searchsorted(edges[1:-1], numbers, side="right"), 0, BINS - 1)
    codes[np.isnan(numbers)] = BINS
    return codes


def _label_codes(series: list[pd.Series]) -> tuple[list[np.ndarray], int]:
    # One string per value, so that 1, 1.0 and "1" from different writers agree, and gaps are a level;
    # then one integer code per string, shared by all the series.
    names: list[str] = [MISSING]
    picks = []
    for values in series:
        present = values.notna().to_numpy()
        raw = values.to_numpy()[present]
        if raw.dtype != object or ptypes.infer_dtype(raw, skipna=False) in _HASH_SAFE:
            which, distinct = pd.factorize(raw)
        else:
            which, distinct = np.arange(raw.size), raw
        picks.append((present, which + len(names)))
        names.extend(_label(value) for value in distinct)
    shared, levels = pd.factorize(np.array(names, dtype=object))
    codes = []
    for present, which in picks:
        row_codes = np.full(present.size, shared[0], dtype=np.intp)
        row_codes[present] = shared[which]
        codes.append(row_codes)
    return codes, levels.size


def _label(value: object) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's r over the rows where both are present; 0 where it is undefined (a constant column)."""
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if x.size < 2 or x.std() == 0 or y.std() == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])
