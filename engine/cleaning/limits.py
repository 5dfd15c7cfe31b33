"""How big a table may be once decoded: a small file can hold a huge table (Parquet, gzip, SPSS).

The upload cap bounds the bytes that arrive; these bound what they decode to, checked from the
file's own metadata before the table is read wherever the format declares its shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulacra.engine.checks.errors import EngineInputError

TOO_MANY_COLUMNS = "simio_too_many_columns"
TABLE_TOO_LARGE = "simio_table_too_large"


@dataclass(frozen=True)
class TableLimits:
    rows: int
    columns: int
    cells: int
    # Decompressed text (a gzip CSV) may be no larger than an uncompressed upload could be.
    text_bytes: int

    def check_columns(self, columns: int) -> None:
        if columns > self.columns:
            raise EngineInputError(
                TOO_MANY_COLUMNS,
                f"the table has {columns:,} columns; at most {self.columns:,} are accepted. Drop the columns "
                "the model does not need (ids, open-text answers, timestamps) or split the survey into several "
                "datasets.",
            )

    def check(self, rows: int, columns: int) -> None:
        """Refuse a table of this shape; `rows` may be a lower bound (more than it were found)."""
        self.check_columns(columns)
        if rows > self.rows:
            raise EngineInputError(
                TABLE_TOO_LARGE,
                f"the table has more than {self.rows:,} rows, the most accepted. Upload a random sample of the "
                "rows: the model needs far fewer to learn the structure.",
            )
        if rows * columns > self.cells:
            raise EngineInputError(
                TABLE_TOO_LARGE,
                f"the table has {rows:,} rows of {columns:,} columns, more than the {self.cells:,} cells accepted. "
                "Upload fewer rows or fewer columns.",
            )

    def row_cap(self, columns: int) -> int:
        """The most rows a table of this many columns may have."""
        return min(self.rows, self.cells // max(1, columns))

    def text_too_large(self) -> EngineInputError:
        return EngineInputError(
            TABLE_TOO_LARGE,
            f"the file decompresses to more than {self.text_bytes:,} bytes, the most an upload may be. "
            "Upload a smaller sample of the rows.",
        )
