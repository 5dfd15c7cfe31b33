"""Leakage-prone duplicates: a column that is an exact one-to-one recoding of another.

``country`` next to ``country_code``, an answer next to its numeric code, a price in euros next to
the same price in cents: the pair carries one piece of information twice, and a deterministic
pair breaks structure learning (each screens the other off from everything) and lets a model read
one column off the other. Only exact matches count, on the rows where both are answered:

- same partition of the rows: each value of one column goes with exactly one value of the other
  and back; only trusted when chance could not produce it (see MIN_LOG_PARTITIONS), which rules
  out near-unique columns, where any two are trivially one-to-one;
- for numbers with many distinct values: one is an exact linear function of the other (b = c a + d).

A one-way dependence (``age_band`` derived from ``age``) is not a duplicate: the coarse column
holds less, and it is often the one conditions are written on. Of a duplicate group the column
kept is the one answered most often, then the one with labels over codes (ordinal, categorical,
boolean before numbers), then the first in the file.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from itertools import combinations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import gammaln

from simulacra.engine.checks.column_types import NUMERIC_TYPES

MIN_COMMON_ROWS = 20
# ln of the number of ways to split the rows into groups of the observed sizes: an unrelated
# column falls on the same split with probability about e^-30 (1e-13) at this threshold. Five
# levels over 100 rows score ~150; two columns each with one "yes" in 200 rows score ln 200 = 5.3.
MIN_LOG_PARTITIONS = 30.0
AFFINE_MIN_DISTINCT = 10
PROBE_ROWS = 256
AFFINE_TOLERANCE = 1e-9
TYPE_PREFERENCE = ("ordinal", "categorical", "boolean", "numeric", "integer")


def duplicate_columns(columns: dict[str, pa.ChunkedArray], types: dict[str, str]) -> dict[str, tuple[str, str]]:
    """{dropped column: (the column kept, a sentence saying why)} for every exact duplicate among ``columns``
    (given in file order)."""
    names = list(columns)
    codes = {name: _codes(columns[name]) for name in names}
    # Sorted level sizes: a one-to-one recoding of a gap-free column has exactly the same ones.
    sizes = {name: np.sort(np.bincount(codes[name][codes[name] >= 0])) for name in names}
    # Float copies only of the columns some pair gets as far as the linear test with: a million-row
    # seed's numbers would otherwise double the memory cleaning needs.
    numbers: dict[str, np.ndarray | None] = {}

    def number(name: str) -> np.ndarray | None:
        if name not in numbers:
            numbers[name] = _numbers(columns[name]) if types[name] in NUMERIC_TYPES else None
        return numbers[name]

    found: dict[tuple[str, str], tuple[str, str]] = {}
    for first, second in combinations(names, 2):
        complete = columns[first].null_count == 0 and columns[second].null_count == 0
        # With no gaps on either side, most pairs stop at this cheap comparison.
        if complete and not np.array_equal(sizes[first], sizes[second]):
            continue
        why = _match(codes[first], codes[second], partial(_pair, number, first, second))
        if why is not None:
            found[(first, second)] = why
    return _pick_kept(names, found, columns, types)


def _pair(
    number: Callable[[str], np.ndarray | None], first: str, second: str
) -> tuple[np.ndarray | None, np.ndarray | None]:
    return number(first), number(second)


def _codes(column: pa.ChunkedArray) -> np.ndarray:
    """Dense level codes, -1 where missing (int32, as Arrow's dictionary indices: a column has fewer levels)."""
    if pa.types.is_boolean(column.type):
        column = column.cast(pa.int8())
    encoded = pc.dictionary_encode(column.combine_chunks())
    return encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32, copy=False)


def _numbers(column: pa.ChunkedArray) -> np.ndarray:
    return column.cast(pa.float64()).fill_null(np.nan).to_numpy()


def _match(
    first: np.ndarray, second: np.ndarray, values: Callable[[], tuple[np.ndarray | None, np.ndarray | None]]
) -> tuple[str, str] | None:
    """(what kind of copy, on what evidence), or None; `values` gives both columns as numbers (None if not)."""
    # Any subset of rows must match too: the first few hundred rule out nearly every unrelated pair.
    if not _one_to_one(first[:PROBE_ROWS], second[:PROBE_ROWS]):
        return None
    both = (first >= 0) & (second >= 0)
    rows = int(both.sum())
    if rows < MIN_COMMON_ROWS or not _one_to_one(first[both], second[both]):
        return None
    counts = np.bincount(first[both])
    levels = int(np.count_nonzero(counts))
    if _log_partitions(counts) >= MIN_LOG_PARTITIONS:
        return "a one-to-one recoding", f"{levels} values each, on the {rows} rows where both are answered"
    if levels < AFFINE_MIN_DISTINCT:
        return None
    x, y = values()
    if x is not None and y is not None:
        return _linear(x[both], y[both])
    return None


def _one_to_one(first: np.ndarray, second: np.ndarray) -> bool:
    """Whether each code of one goes with a single code of the other and back, on rows where both are set."""
    both = (first >= 0) & (second >= 0)
    left, right = first[both], second[both]
    if len(left) == 0:
        return True
    # Scatter one side's code into a table indexed by the other's: any disagreement shows on reading back.
    forward = np.empty(int(left.max()) + 1, dtype=np.int64)
    forward[left] = right
    backward = np.empty(int(right.max()) + 1, dtype=np.int64)
    backward[right] = left
    return bool(np.array_equal(forward[left], right) and np.array_equal(backward[right], left))


def _log_partitions(counts: np.ndarray) -> float:
    """ln of the number of unordered splits of sum(counts) rows into groups of these sizes."""
    groups = np.bincount(counts[counts > 0])  # groups[s]: how many values occur s times
    size = np.arange(len(groups))
    return float(gammaln(counts.sum() + 1) - (groups * gammaln(size + 1)).sum() - gammaln(groups + 1).sum())


def _linear(x: np.ndarray, y: np.ndarray) -> tuple[str, str] | None:
    rows = len(x)
    # On a unit scale, so values near the float limit cannot overflow the sums.
    x, y = x / np.max(np.abs(x)), y / max(float(np.max(np.abs(y))), np.finfo(float).tiny)
    dx = x - x.mean()
    spread = float(dx @ dx)
    if spread == 0:
        return None
    slope = float(dx @ (y - y.mean())) / spread
    intercept = float(y.mean() - slope * x.mean())
    if slope == 0 or np.max(np.abs(y - (slope * x + intercept))) > AFFINE_TOLERANCE:
        return None
    return "an exact linear function", f"y = a x + b on the {rows} rows where both are answered"


def _pick_kept(
    names: list[str],
    found: dict[tuple[str, str], tuple[str, str]],
    columns: dict[str, pa.ChunkedArray],
    types: dict[str, str],
) -> dict[str, tuple[str, str]]:
    group = {name: name for name in names}

    def root(name: str) -> str:
        while group[name] != name:
            name = group[name]
        return name

    for first, second in found:
        group[root(second)] = root(first)
    members: dict[str, list[str]] = {}
    for name in names:
        members.setdefault(root(name), []).append(name)

    def preference(name: str) -> tuple[int, int, int]:
        return (columns[name].null_count, TYPE_PREFERENCE.index(types[name]), names.index(name))

    dropped = {}
    for group_names in members.values():
        kept = min(group_names, key=preference)
        for name in group_names:
            if name != kept:
                # Matched only through a third copy when the gaps differ: say so.
                kind, evidence = found.get((kept, name)) or found.get((name, kept)) or ("a copy", "via another copy")
                dropped[name] = (kept, f"{kind} of {kept} ({evidence})")
    return dropped
