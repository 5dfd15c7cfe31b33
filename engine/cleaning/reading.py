"""Reading an upload (CSV, gzip CSV, Parquet, Arrow IPC or SPSS .sav) into columns that keep their raw headers.

The format is told by the file's first bytes, never by its name: uploads reach the engine as
storage keys without the client's filename.
"""

from __future__ import annotations

import codecs
import gzip
import shutil
import tempfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from simulacra.engine.checks.errors import EngineInputError
from simulacra.engine.cleaning.limits import TableLimits
from simulacra.engine.cleaning.ragged import first_ragged_line, looks_ragged

# Spellings exports use for "no answer"; the empty string is DuckDB's default. "None" is not
# one of them: it is a survey answer ("Which brands do you buy? None"). A column whose other
# cells are all numbers is the exception, where "None" is Python's spelling of a gap.
NULL_STRINGS = ["", "NA", "N/A", "n/a", "#N/A", "NULL", "null", "NaN", "nan"]
PYTHON_NONE = "None"
# Tried in order: UTF-8 (with or without BOM, which DuckDB strips) first, then the
# single-byte encoding spreadsheets on European desktops still write. UTF-16 is told by its BOM.
ENCODINGS = ("utf-8", "latin-1")
MAGIC = {b"PAR1": "parquet", b"ARROW1": "arrow", b"$FL2": "spss", b"$FL3": "spss", b"\x1f\x8b": "gzip"}
UNREADABLE = {
    "csv": "the file is not a readable table: send delimited text (comma, semicolon, tab or pipe) in UTF-8, "
    "UTF-16 with a byte-order mark or Latin-1, or a Parquet, Arrow IPC or SPSS file",
    "parquet": "the file starts like Parquet but cannot be read as a table: it may be truncated or damaged",
    "arrow": "the file starts like an Arrow IPC file but cannot be read as a table: it may be truncated or damaged",
    "spss": "the file starts like an SPSS .sav file but cannot be read: it may be truncated or damaged",
    "gzip": "the file starts like gzip but cannot be decompressed: it may be truncated or damaged",
}
GUNZIP_CHUNK = 1 << 20


@dataclass(frozen=True)
class SourceColumn:
    """One column as uploaded: its raw header, its values, and what the file itself declares about it."""

    header: str
    values: pa.ChunkedArray
    # The question text, when the file carries one (SPSS variable labels).
    label: str | None = None
    # Ordinal levels low to high, when the file declares their order (SPSS value labels, an
    # ordered dictionary in Parquet or Arrow).
    level_order: tuple[str, ...] | None = None


def upload_format(path: str) -> str:
    """Which reader the file needs: parquet, arrow, spss, gzip, or csv for anything else (tried as text)."""
    with open(path, "rb") as handle:  # an OSError here is the server's fault, retried, not the upload's
        head = handle.read(6)
    return next((kind for magic, kind in MAGIC.items() if head.startswith(magic)), "csv")


def read_upload(path: str, limits: TableLimits | None = None) -> list[SourceColumn]:
    """The upload's columns in file order, raising EngineInputError if it is not a readable table.

    With limits, a table larger than they allow is refused before it is read, wherever the file
    declares its shape (Parquet, Arrow, SPSS), and as soon as reading passes them otherwise.
    """
    kind = upload_format(path)
    if kind == "gzip":
        with tempfile.TemporaryDirectory() as folder:
            return _read(_gunzip(path, folder, limits), "csv", limits)
    return _read(path, kind, limits)


def _read(path: str, kind: str, limits: TableLimits | None) -> list[SourceColumn]:
    if kind == "spss":
        # Imported here so CSV and Parquet uploads never load the SPSS reader.
        from simulacra.engine.cleaning.spss import read_sav

        return [replace(column, values=_finite_only(column.values)) for column in read_sav(path, limits)]
    con = duckdb.connect()
    try:
        orders: list[tuple[str, ...] | None] = []
        if kind == "parquet":
            if limits:
                declared_shape = pq.ParquetFile(path)
                limits.check(declared_shape.metadata.num_rows, len(declared_shape.schema_arrow))
            table = con.sql("SELECT * FROM read_parquet($path)", params={"path": path}).to_arrow_table()
            declared = pq.read_schema(path)
            headers = declared.names
            if any(_is_ordered(field.type) for field in declared):
                orders = _declared_orders(pq.read_table(path))
        elif kind == "arrow":
            reader = pa.ipc.open_file(pa.memory_map(path))
            if limits:
                _check_arrow_shape(reader, limits)
            raw = reader.read_all()
            # Through DuckDB so dictionary and decimal columns arrive as plain types, as from Parquet.
            table, headers, orders = con.from_arrow(raw).to_arrow_table(), raw.column_names, _declared_orders(raw)
        else:
            table, headers = _read_csv(con, path, limits)
    except duckdb.OutOfMemoryException as exc:
        # The engine process's memory limit, not the file: the job fails with the memory code, at once.
        raise MemoryError("DuckDB ran out of memory reading the upload") from exc
    except (duckdb.Error, pa.ArrowInvalid, UnicodeError) as exc:
        # Our words, not the library's: its message names the server's temporary files.
        raise EngineInputError("simio_upload_invalid", UNREADABLE[kind]) from exc
    except OSError as exc:
        # pyarrow reports a damaged Arrow footer as OSError (its ArrowIOError). upload_format has just opened
        # and read this local file, so for these readers it is the content at fault, not the disk.
        if kind not in ("parquet", "arrow"):
            raise
        raise EngineInputError("simio_upload_invalid", UNREADABLE[kind]) from exc
    finally:
        con.close()
    # DuckDB de-duplicates repeated headers (Q1, Q1_1); the schema names what the file said.
    if len(headers) != table.num_columns:
        headers = table.column_names
    orders = orders if len(orders) == table.num_columns else [None] * table.num_columns
    return [
        SourceColumn(header, _finite_only(column), level_order=order)
        for header, column, order in zip(headers, table.columns, orders, strict=True)
    ]


def _gunzip(path: str, folder: str, limits: TableLimits | None) -> str:
    """The decompressed text in `folder`, refused once it grows past what an upload may be."""
    target = str(Path(folder) / "upload.csv")
    written = 0
    with open(target, "wb") as out:
        try:
            with gzip.open(path, "rb") as source:
                while chunk := source.read(GUNZIP_CHUNK):
                    written += len(chunk)
                    if limits and written > limits.text_bytes:
                        raise limits.text_too_large()
                    out.write(chunk)
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise EngineInputError("simio_upload_invalid", UNREADABLE["gzip"]) from exc
    return target


def _check_arrow_shape(reader: pa.ipc.RecordBatchFileReader, limits: TableLimits) -> None:
    """Arrow declares no row count: count batch by batch and stop as soon as the cap is passed."""
    columns = len(reader.schema)
    limits.check_columns(columns)
    cap, rows = limits.row_cap(columns), 0
    for index in range(reader.num_record_batches):
        rows += reader.get_batch(index).num_rows
        if rows > cap:
            break
    limits.check(rows, columns)


def _is_ordered(kind: pa.DataType) -> bool:
    return pa.types.is_dictionary(kind) and kind.ordered


def _declared_orders(table: pa.Table) -> list[tuple[str, ...] | None]:
    """Level orders the file declares: ordered dictionaries, which is how pandas saves an ordered categorical."""
    table = table.unify_dictionaries()
    return [
        tuple(str(value) for value in column.chunk(0).dictionary.to_pylist())
        if _is_ordered(column.type) and column.num_chunks
        else None
        for column in table.columns
    ]


def _finite_only(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """inf and NaN cells are no answer: treat them as missing rather than let them poison every statistic."""
    if pa.types.is_floating(column.type):
        return pc.if_else(pc.is_finite(column), column, None)
    return column


def _read_csv(con: duckdb.DuckDBPyConnection, path: str, limits: TableLimits | None) -> tuple[pa.Table, list[str]]:
    with open(path, "rb") as handle:
        utf16 = handle.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    if utf16:
        # DuckDB's CSV reader reads no big-endian UTF-16: Excel's "Unicode text" is re-encoded first.
        with tempfile.TemporaryDirectory() as folder:
            utf8 = str(Path(folder) / "upload.csv")
            with open(path, encoding="utf-16", newline="") as source, open(utf8, "w", encoding="utf-8") as target:
                shutil.copyfileobj(source, target)
            return _read_csv_as(con, utf8, "utf-8", limits)
    for encoding in ENCODINGS[:-1]:
        try:
            return _read_csv_as(con, path, encoding, limits)
        except duckdb.Error as exc:
            if "unicode" not in str(exc) and "encoded" not in str(exc):
                raise
    return _read_csv_as(con, path, ENCODINGS[-1], limits)


def _read_csv_as(
    con: duckdb.DuckDBPyConnection, path: str, encoding: str, limits: TableLimits | None
) -> tuple[pa.Table, list[str]]:
    params = {"path": path, "encoding": encoding}
    sniffed = con.sql("SELECT Delimiter, SkipRows, Columns FROM sniff_csv($path, encoding=$encoding)", params=params)
    delimiter, skip, columns = sniffed.fetchall()[0]
    # Semicolon-separated files come from locales that write 3,49 for 3.49.
    decimal = "," if delimiter == ";" else "."
    query = (
        "SELECT * FROM read_csv($path, encoding=$encoding, header=true, sample_size=-1, "
        "nullstr=$nulls, decimal_separator=$decimal)"
    )
    if limits:
        # Refused on the header alone, and never read past the first row over the cap.
        limits.check_columns(len(columns))
        query += f" LIMIT {limits.row_cap(len(columns)) + 1}"
    try:
        table = con.sql(query, params=params | {"nulls": NULL_STRINGS, "decimal": decimal}).to_arrow_table()
    except duckdb.Error:
        _refuse_if_ragged(path, encoding)
        raise
    if looks_ragged(table):
        _refuse_if_ragged(path, encoding)
    if limits:
        limits.check(table.num_rows, table.num_columns)
    for index, column in enumerate(table.columns):
        if pa.types.is_string(column.type):
            table = table.set_column(index, table.field(index).name, _none_in_numbers(column, decimal))
    # The header row as written, read as data: the table above has repeated headers renamed (Q1, Q1_1).
    header_query = (
        "SELECT * FROM read_csv($path, encoding=$encoding, header=false, all_varchar=true, sample_size=1, "
        "delim=$delimiter, skip=$skip) LIMIT 1"
    )
    header_params = params | {"delimiter": delimiter, "skip": skip}
    first_row = con.sql(header_query, params=header_params).fetchall()
    headers = [cell or "" for cell in first_row[0]] if first_row else table.column_names
    return table, headers


def _refuse_if_ragged(path: str, encoding: str) -> None:
    ragged = first_ragged_line(path, encoding)
    if ragged:
        raise EngineInputError("simio_upload_invalid", ragged.detail())


def _none_in_numbers(column: pa.ChunkedArray, decimal: str) -> pa.ChunkedArray:
    """A text column of numbers whose only non-number is "None" is that number column with gaps."""
    is_none = pc.equal(column, PYTHON_NONE)
    if not pc.any(is_none).as_py():
        return column
    others = pc.if_else(is_none, pa.scalar(None, pa.string()), column)
    if decimal == ",":
        others = pc.replace_substring(others, ",", ".")
    for kind in (pa.int64(), pa.float64(), pa.bool_()):
        try:
            return others.cast(kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return column
