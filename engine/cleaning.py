"""clean_table: an uploaded file becomes a typed Parquet table plus its schema."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from engine.columns import Verdict, classify
from engine.errors import EngineInputError
from engine.levels import OTHER, collapse_rare, level_shares
from engine.names import unique_names
from engine.profile import numeric_summary
from engine.reading import read_upload

MIN_ROWS = 20
MIN_COLUMNS = 2
ARROW_TYPES = {"numeric": pa.float64(), "integer": pa.int64(), "categorical": pa.string(), "boolean": pa.bool_()}


def clean_table(source_path: str, parquet_out: str) -> dict:
    """Read, type, rename and prune an uploaded table; write the kept columns to Parquet; return the schema."""
    raw = read_upload(source_path)
    if raw.num_rows < MIN_ROWS:
        detail = f"the table has {raw.num_rows} rows; at least {MIN_ROWS} are needed"
        raise EngineInputError("simio_upload_invalid", detail)
    renamed = unique_names(raw.column_names)
    kept: dict[str, pa.ChunkedArray] = {}
    columns: list[dict] = []
    dropped: list[dict] = []
    collapsed: dict[str, list[str]] = {}
    for source_name, column in zip(raw.column_names, raw.columns, strict=True):
        name = renamed[source_name]
        column = _tidy(column)
        verdict = classify(column)
        if verdict.type == "categorical":
            column, rare = collapse_rare(column)
            verdict, collapsed[name] = _recheck_after_collapse(column, verdict), rare
        if verdict.type is None:
            dropped.append(
                {"source_name": source_name, "name": name, "reason": verdict.reason, "detail": verdict.detail}
            )
            continue
        kept[name] = column.cast(ARROW_TYPES[verdict.type])
        columns.append(_describe(name, source_name, verdict.type, kept[name]))
    if len(kept) < MIN_COLUMNS:
        reasons = ", ".join(f"{d['source_name']} ({d['reason']})" for d in dropped) or "none"
        detail = f"{len(kept)} usable column(s) after cleaning, at least {MIN_COLUMNS} are needed; dropped: {reasons}"
        raise EngineInputError("simio_upload_invalid", detail)
    pq.write_table(pa.table(kept), parquet_out)
    return {
        "row_count": raw.num_rows,
        "columns": columns,
        "dropped": dropped,
        "renamed": renamed,
        "collapsed_levels": {name: rare for name, rare in collapsed.items() if rare and name in kept},
    }


def _tidy(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        # Quoted blanks and padded answers ("  Brisa ") are the same answers as their trimmed form.
        trimmed = pc.utf8_trim_whitespace(column.cast(pa.string()))
        return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
    if pa.types.is_decimal(column.type):
        return column.cast(pa.float64())
    return column


def _recheck_after_collapse(column: pa.ChunkedArray, verdict: Verdict) -> Verdict:
    if pc.count_distinct(column).as_py() > 1:
        return verdict
    return Verdict(reason="constant", detail=f"every level is rarer than 1% of answers, leaving only '{OTHER}'")


def _describe(name: str, source_name: str, column_type: str, column: pa.ChunkedArray) -> dict:
    entry = {
        "name": name,
        "source_name": source_name,
        "type": column_type,
        "missing_share": round(column.null_count / len(column), 6),
    }
    if column_type in ("categorical", "boolean"):
        entry["levels"] = level_shares(column)
    else:
        entry |= numeric_summary(column, column_type)
    return entry
