"""The cleaned schema: what cleaning kept, renamed, dropped and collapsed, and each column's profile."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ColumnType = Literal["numeric", "integer", "categorical", "ordinal", "boolean"]


class Level(BaseModel):
    value: str = Field(description='The answer as generated rows carry it (booleans as "true" and "false").')
    share: float


class SchemaColumn(BaseModel):
    name: str = Field(description="Cleaned name: use it in conditions.")
    source_name: str = Field(description="The raw header in the upload.")
    source_index: int | None = Field(
        default=None, description="0-based position in the upload: tells apart copies of a repeated header."
    )
    label: str | None = Field(default=None, description="The question text, when the file has one (SPSS).")
    type: ColumnType = Field(
        description="`ordinal`: an answer scale; its `levels` are listed low to high and conditioned like categories."
    )
    missing_share: float
    levels: list[Level] | None = None
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    quantiles: dict[str, float] | None = None
    decimals: int | None = None

    @property
    def bounds(self) -> tuple[float, float]:
        """(min, max) of a numeric or integer column, which cleaning always records."""
        if self.min is None or self.max is None:
            raise ValueError(f"{self.name} is {self.type}: it has no numeric range")
        return self.min, self.max


class DroppedColumn(BaseModel):
    source_name: str
    source_index: int | None = None
    name: str | None = None
    reason: str = Field(
        description="id_like, constant, free_text, mostly_empty, datetime_not_modelled, unsupported_type, or "
        "duplicate (an exact one-to-one recoding of the column named in `duplicate_of`)."
    )
    duplicate_of: str | None = Field(default=None, description="For a duplicate: the cleaned column kept instead.")
    detail: str | None = None


class CleanedSchema(BaseModel):
    row_count: int
    columns: list[SchemaColumn]
    dropped: list[DroppedColumn]
    renamed: dict[str, str] = Field(description="Every raw header -> its cleaned name.")
    collapsed_levels: dict[str, list[str]] = Field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """Kept column names, in schema order."""
        return [column.name for column in self.columns]

    @property
    def types(self) -> dict[str, ColumnType]:
        return {column.name: column.type for column in self.columns}

    def column(self, name: str) -> SchemaColumn | None:
        return next((column for column in self.columns if column.name == name), None)

    def dropped_as(self, name: str) -> DroppedColumn | None:
        """The dropped column a name (cleaned or raw) refers to, if any."""
        return next((d for d in self.dropped if name in (d.name, d.source_name)), None)
