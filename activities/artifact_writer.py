"""A generation's artifact written batch by batch, so combining shards never holds more than one of them.

CSV (text cells that a spreadsheet would run as formulas quoted), Parquet (a row group per batch) or
Arrow IPC file, into any file object: storage's encrypting writer in practice.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.csv
import pyarrow.ipc
import pyarrow.parquet

from simulacra.activities.engine_jobs import neutralise_formulas


class ArtifactWriter:
    def __init__(self, handle: Any, fmt: str, schema: pa.Schema) -> None:  # a writable file object
        self._fmt = fmt
        self._writer: Any
        if fmt == "parquet":
            self._writer = pyarrow.parquet.ParquetWriter(handle, schema)
        elif fmt == "arrow":
            self._writer = pyarrow.ipc.new_file(handle, schema)
        else:
            self._writer = pyarrow.csv.CSVWriter(handle, schema)

    def write(self, batch: pa.RecordBatch) -> None:
        table = pa.Table.from_batches([batch])
        if self._fmt == "csv":
            table = neutralise_formulas(table)
        self._writer.write_table(table)

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> ArtifactWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
