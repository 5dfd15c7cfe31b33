"""Finding the line that makes a CSV ragged, so the client hears which line to fix.

DuckDB does not fail on a line with more or fewer fields than the header: its sniffer settles for
another dialect and the table arrives as one column (or none). Once a read looks like that, the
file is scanned with the delimiter its header suggests.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import pyarrow as pa

DELIMITERS = ",;\t|"


@dataclass(frozen=True)
class RaggedLine:
    line: int
    fields: int
    header_fields: int

    def detail(self) -> str:
        return (
            f"line {self.line:,} has {self.fields} fields where the header has {self.header_fields}: every line "
            "needs as many fields as the header (quote a value that contains the delimiter)"
        )


def looks_ragged(table: pa.Table) -> bool:
    """One column named like a whole header line, or a header and no rows: what DuckDB makes of a ragged file."""
    one_header_line = table.num_columns == 1 and any(mark in table.column_names[0] for mark in DELIMITERS)
    return one_header_line or table.num_rows == 0


def first_ragged_line(path: str, encoding: str) -> RaggedLine | None:
    """The first record whose field count differs from the header's, if the file has one."""
    with open(path, encoding=encoding, errors="replace", newline="") as text:
        header_line = text.readline()
        delimiter = max(DELIMITERS, key=header_line.count)
        if delimiter not in header_line:
            return None
        text.seek(0)
        records = csv.reader(text, delimiter=delimiter)
        try:
            header = next(records)
            for record in records:
                if record and len(record) != len(header):
                    return RaggedLine(records.line_num, len(record), len(header))
        except csv.Error:  # a field past the csv module's size limit, say: no line to name
            return None
    return None
