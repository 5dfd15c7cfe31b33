"""What an agent gets instead of a file: a link, and a preview small enough for its context."""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from typing import Any

from pydantic import BaseModel, Field

PREVIEW_BYTES = 64 * 1024
PREVIEW_ROWS = 10
TOP_LEVELS = 5


class ColumnSummary(BaseModel):
    name: str
    kind: str = Field(description="numeric or categorical, as the previewed values read.")
    missing: int = Field(description="Empty values among the rows read.")
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    top_levels: dict[str, float] | None = Field(default=None, description="Most frequent values and their shares.")


class Preview(BaseModel):
    columns: list[str]
    rows: list[list[str]] = Field(description=f"The first {PREVIEW_ROWS} rows.")
    rows_read: int = Field(description="Rows the column summary is computed over (the start of the file).")
    summary: list[ColumnSummary]


class ArtifactPreview(BaseModel):
    generation_id: str
    status: str
    format: str | None = None
    rows_generated: int | None = None
    artifact_url: str = Field(description="Signed link to the whole file; send the bearer token with it.")
    expires_at: str | None = None
    preview: Preview | None = Field(default=None, description="For CSV artifacts; null for Parquet and Arrow.")


class JobWait(BaseModel):
    job: dict[str, Any]
    done: bool = Field(description="True when the job is ready, partial or failed.")
    waited_seconds: float


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _summary(name: str, values: list[str]) -> ColumnSummary:
    present = [value for value in values if value != ""]
    numbers = [n for n in (_number(value) for value in present) if n is not None]
    missing = len(values) - len(present)
    if present and len(numbers) == len(present):
        return ColumnSummary(
            name=name,
            kind="numeric",
            missing=missing,
            min=min(numbers),
            max=max(numbers),
            mean=round(statistics.fmean(numbers), 6),
        )
    counts = Counter(present).most_common(TOP_LEVELS)
    shares = {level: round(count / len(present), 4) for level, count in counts} if present else {}
    return ColumnSummary(name=name, kind="categorical", missing=missing, top_levels=shares)


def csv_preview(head: bytes, complete: bool) -> Preview | None:
    """`head` is the start of the file (all of it when `complete`): its last, cut line is not read."""
    text = head.decode("utf-8", errors="replace")
    if not complete:
        text = text[: text.rfind("\n") + 1]
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return None
    columns, body = rows[0], [row for row in rows[1:] if len(row) == len(rows[0])]
    summary = [_summary(name, [row[i] for row in body]) for i, name in enumerate(columns)]
    return Preview(columns=columns, rows=body[:PREVIEW_ROWS], rows_read=len(body), summary=summary)
