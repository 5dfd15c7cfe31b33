"""clean_table: an uploaded file becomes a typed Parquet table plus its schema."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from simulacra.engine.checks.column_types import CATEGORICAL_TYPES
from simulacra.engine.checks.errors import EngineInputError
from simulacra.engine.cleaning.columns import Verdict, classify
from simulacra.engine.cleaning.duplicates import duplicate_columns
from simulacra.engine.cleaning.levels import OTHER, collapse_rare, level_shares
from simulacra.engine.cleaning.limits import TableLimits
from simulacra.engine.cleaning.names import unique_names
from simulacra.engine.cleaning.profile import numeric_summary
from simulacra.engine.cleaning.reading import SourceColumn, read_upload
from simulacra.engine.records.schema import CleanedSchema, DroppedColumn, SchemaColumn

MIN_ROWS = 20
MIN_COLUMNS = 2
ARROW_TYPES = {
    "numeric": pa.float64(),
    "integer": pa.int64(),
    "categorical": pa.string(),
    "ordinal": pa.string(),
    "boolean": pa.bool_(),
}


def clean_table(source_path: str, parquet_out: str, limits: TableLimits | None = None) -> CleanedSchema:
    """Read, type, rename and prune an uploaded table; write the kept columns to Parquet; return the schema.

    Without limits any size is read: the service always passes them (settings max_table_*).
    """
    source = read_upload(source_path, limits)
    rows = len(source[0].values) if source else 0
    if rows < MIN_ROWS:
        detail = f"the table has {rows} rows; at least {MIN_ROWS} are needed"
        raise EngineInputError("simio_upload_invalid", detail)
    names = unique_names([column.header for column in source])
    kept: dict[str, pa.ChunkedArray] = {}
    described: dict[str, SchemaColumn] = {}
    dropped: list[DroppedColumn] = []
    collapsed: dict[str, list[str]] = {}
    for index, (name, raw) in enumerate(zip(names, source, strict=True)):
        column = _tidy(raw.values)
        verdict = classify(column, raw.level_order)
        # An ordinal's rare ends are still points of its scale: only unordered levels fold.
        if verdict.type == "categorical":
            column, rare = collapse_rare(column)
            verdict, collapsed[name] = _recheck_after_collapse(column, verdict), rare
        if verdict.type is None:
            dropped.append(
                DroppedColumn(
                    source_name=raw.header,
                    source_index=index,
                    name=name,
                    reason=str(verdict.reason),
                    detail=verdict.detail,
                )
            )
            continue
        kept[name] = column.cast(ARROW_TYPES[verdict.type])
        described[name] = _describe(name, index, raw, verdict, kept[name])
    types: dict[str, str] = {name: entry.type for name, entry in described.items()}
    for name, (original, why) in duplicate_columns(kept, types).items():
        entry, _ = described.pop(name), kept.pop(name)
        dropped.append(
            DroppedColumn(
                source_name=entry.source_name,
                source_index=entry.source_index,
                name=name,
                reason="duplicate",
                duplicate_of=original,
                detail=why,
            )
        )
    if len(kept) < MIN_COLUMNS:
        reasons = ", ".join(f"{d.source_name} ({d.reason})" for d in dropped) or "none"
        detail = f"{len(kept)} usable column(s) after cleaning, at least {MIN_COLUMNS} are needed; dropped: {reasons}"
        raise EngineInputError("simio_upload_invalid", detail)
    pq.write_table(pa.table(kept), parquet_out)
    return CleanedSchema(
        row_count=rows,
        columns=list(described.values()),
        dropped=sorted(dropped, key=lambda entry: entry.source_index or 0),
        renamed=_renamed(source, names),
        collapsed_levels={name: list(rare) for name, rare in collapsed.items() if rare and name in kept},
    )


def _renamed(source: list[SourceColumn], names: list[str]) -> dict[str, str]:
    # A header the file repeats maps to its first copy; source_index tells the copies apart.
    renamed: dict[str, str] = {}
    for column, name in zip(source, names, strict=True):
        renamed.setdefault(column.header, name)
    return renamed


def _tidy(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        # Quoted blanks and padded answers ("  Brisa ") are the same answers as their trimmed form.
        trimmed = pc.utf8_trim_whitespace(column.cast(pa.string()))
        return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
    if pa.types.is_decimal(column.type):
        column = column.cast(pa.float64())
    if pa.types.is_floating(column.type) and _whole_numbers(column):
        # Integers written as 55.0 (a column with gaps saved by pandas, every SPSS number) are integers.
        return column.cast(pa.int64())
    return column


def _whole_numbers(column: pa.ChunkedArray) -> bool:
    present = column.drop_null()
    if len(present) == 0:
        return False
    in_range = pc.all(pc.less(pc.abs(present), 2.0**53)).as_py()
    return in_range and pc.all(pc.equal(pc.floor(present), present)).as_py()


def _recheck_after_collapse(column: pa.ChunkedArray, verdict: Verdict) -> Verdict:
    if pc.count_distinct(column).as_py() > 1:
        return verdict
    return Verdict(reason="constant", detail=f"every level is rarer than 1% of answers, leaving only '{OTHER}'")


def _describe(name: str, index: int, raw: SourceColumn, verdict: Verdict, column: pa.ChunkedArray) -> SchemaColumn:
    profile: dict[str, Any] = (
        {"levels": level_shares(column, verdict.levels)}
        if verdict.type in CATEGORICAL_TYPES
        else numeric_summary(column, str(verdict.type))
    )
    return SchemaColumn(
        name=name,
        source_name=raw.header,
        source_index=index,
        label=raw.label or None,
        type=verdict.type,
        missing_share=round(column.null_count / len(column), 6),
        **profile,
    )
