"""Categorical levels: shares, and folding rare levels into "other"."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

OTHER = "other"
RARE_SHARE = 0.01
RARE_COUNT = 5


def level_counts(column: pa.ChunkedArray) -> dict[str, int]:
    """Count each non-missing level, keyed by its string form, most frequent first."""
    counts = pc.value_counts(column.drop_null())
    values, tallies = counts.field("values").to_pylist(), counts.field("counts").to_pylist()
    pairs = [(_as_level(value), int(tally)) for value, tally in zip(values, tallies, strict=True)]
    return dict(sorted(pairs, key=lambda pair: (-pair[1], pair[0])))


def level_shares(column: pa.ChunkedArray, order: tuple[str, ...] = ()) -> list[dict]:
    """Levels with their share of the non-missing answers: in ``order`` (an ordinal's, low to high)
    when given, else by share descending."""
    counts = level_counts(column)
    total = sum(counts.values())
    values = [value for value in order if value in counts] or list(counts)
    return [{"value": value, "share": round(counts[value] / total, 6)} for value in values]


def collapse_rare(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, list[str]]:
    """Replace levels with share < 1% or fewer than 5 answers by "other"; return the column and what was folded."""
    counts = level_counts(column)
    total = sum(counts.values())
    rare = sorted(v for v, c in counts.items() if v != OTHER and (c < RARE_COUNT or c / total < RARE_SHARE))
    if not rare:
        return column, []
    is_rare = pc.is_in(column, value_set=pa.array(rare, type=column.type))
    # is_in yields false (not null) for missing cells, so missing answers stay missing.
    return pc.if_else(is_rare, pa.scalar(OTHER, type=column.type), column), rare


def _as_level(value: object) -> str:
    # Booleans are exposed as the strings conditions use ("true"/"false").
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
