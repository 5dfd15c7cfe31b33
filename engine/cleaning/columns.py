"""Per-column verdict: which modelling type a raw column has, or why it is dropped."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from simulacra.engine.cleaning.scales import scale_order

MOSTLY_EMPTY_SHARE = 0.5
# A string column is free text when at least half its answers are distinct and they read like
# sentences; near-unique short strings are identifiers instead.
FREE_TEXT_DISTINCT_SHARE = 0.5
FREE_TEXT_MEAN_LENGTH = 20
FREE_TEXT_SPACED_SHARE = 0.5
ID_DISTINCT_SHARE = 0.95


@dataclass(frozen=True)
class Verdict:
    """Either a kept column's type (with an ordinal's levels low to high) or a drop reason and its detail."""

    type: str | None = None
    reason: str | None = None
    detail: str = ""
    levels: tuple[str, ...] = ()


def classify(column: pa.ChunkedArray, level_order: tuple[str, ...] | None = None) -> Verdict:
    """Decide the modelling type of a column (strings already stripped) or why to drop it.

    ``level_order`` is an order the file itself declares for the column's labels (SPSS value labels).
    """
    kind = column.type
    if pa.types.is_temporal(kind):
        return Verdict(reason="datetime_not_modelled", detail="date and time columns are not modelled yet")
    if not (pa.types.is_boolean(kind) or pa.types.is_integer(kind) or _is_float(kind) or pa.types.is_string(kind)):
        return Verdict(reason="unsupported_type", detail=f"values of type {kind} cannot be modelled")
    rows = len(column)
    present = rows - column.null_count
    missing_share = column.null_count / rows if rows else 1.0
    if missing_share > MOSTLY_EMPTY_SHARE:
        return Verdict(reason="mostly_empty", detail=f"{missing_share:.0%} of values are missing")
    distinct = pc.count_distinct(column).as_py()
    if distinct <= 1:
        answered = "answered " if column.null_count else ""
        return Verdict(reason="constant", detail=f"every {answered}row holds {pc.min(column).as_py()!r}")
    if level_order is not None:
        observed = set(pc.unique(column.drop_null()).to_pylist())
        return Verdict(type="ordinal", levels=tuple(level for level in level_order if level in observed))
    if pa.types.is_boolean(kind):
        return Verdict(type="boolean")
    if pa.types.is_integer(kind):
        if distinct == rows:
            return Verdict(reason="id_like", detail=f"{distinct} distinct values in {rows} rows")
        return Verdict(type="integer")
    if _is_float(kind):
        return Verdict(type="numeric")
    return _classify_strings(column, distinct, present, rows)


def _classify_strings(column: pa.ChunkedArray, distinct: int, present: int, rows: int) -> Verdict:
    distinct_share = distinct / present
    if distinct_share >= FREE_TEXT_DISTINCT_SHARE:
        mean_length = pc.mean(pc.utf8_length(column)).as_py()
        spaced_share = pc.sum(pc.match_substring(column, " ")).as_py() / present
        if mean_length >= FREE_TEXT_MEAN_LENGTH or spaced_share >= FREE_TEXT_SPACED_SHARE:
            detail = f"{distinct} distinct values in {present} answers, {mean_length:.0f} characters on average"
            return Verdict(reason="free_text", detail=detail)
    if distinct_share >= ID_DISTINCT_SHARE:
        return Verdict(reason="id_like", detail=f"{distinct} distinct values in {rows} rows")
    order = scale_order(pc.unique(column.drop_null()).to_pylist())
    if order is not None:
        return Verdict(type="ordinal", levels=tuple(order))
    return Verdict(type="categorical")


def _is_float(kind: pa.DataType) -> bool:
    return pa.types.is_floating(kind) or pa.types.is_decimal(kind)
