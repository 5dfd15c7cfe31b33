"""Reading an uploaded table (CSV or Parquet) into Arrow with DuckDB's sniffer."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from engine.errors import EngineInputError

# Spellings survey exports use for "no answer"; the empty string is DuckDB's default.
NULL_STRINGS = ["", "NA", "N/A", "n/a", "#N/A", "NULL", "null", "None", "NaN", "nan"]
# Tried in order: UTF-8 (with or without BOM, which DuckDB strips) first, then the
# single-byte encoding spreadsheets on European desktops still write.
ENCODINGS = ("utf-8", "latin-1")


def read_upload(path: str) -> pa.Table:
    """Read a CSV or Parquet file into an Arrow table, raising EngineInputError if unreadable."""
    con = duckdb.connect()
    try:
        if _is_parquet(path):
            table = con.sql("SELECT * FROM read_parquet($path)", params={"path": path}).to_arrow_table()
        else:
            table = _read_csv(con, path)
        return _finite_only(table)
    except duckdb.Error as exc:
        first_line = str(exc).splitlines()[0]
        raise EngineInputError("simio_upload_invalid", f"the file is not a readable table ({first_line})") from exc
    finally:
        con.close()


def _finite_only(table: pa.Table) -> pa.Table:
    """inf and NaN cells are no answer: treat them as missing rather than let them poison every statistic."""
    for index, field in enumerate(table.schema):
        if pa.types.is_floating(field.type):
            column = table.column(index)
            table = table.set_column(index, field, pc.if_else(pc.is_finite(column), column, None))
    return table


def _is_parquet(path: str) -> bool:
    if path.lower().endswith(".parquet"):
        return True
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"PAR1"
    except OSError as exc:
        raise EngineInputError("simio_upload_invalid", f"cannot open the upload: {exc}") from exc


def _read_csv(con: duckdb.DuckDBPyConnection, path: str) -> pa.Table:
    for encoding in ENCODINGS[:-1]:
        try:
            return _read_csv_as(con, path, encoding)
        except duckdb.Error as exc:
            if "unicode" not in str(exc) and "encoded" not in str(exc):
                raise
    return _read_csv_as(con, path, ENCODINGS[-1])


def _read_csv_as(con: duckdb.DuckDBPyConnection, path: str, encoding: str) -> pa.Table:
    params = {"path": path, "encoding": encoding}
    sniffed = con.sql("SELECT delimiter FROM sniff_csv($path, encoding=$encoding)", params=params)
    (delimiter,) = sniffed.fetchall()[0]
    # Semicolon-separated files come from locales that write 3,49 for 3.49.
    decimal = "," if delimiter == ";" else "."
    query = (
        "SELECT * FROM read_csv($path, encoding=$encoding, header=true, sample_size=-1, "
        "nullstr=$nulls, decimal_separator=$decimal)"
    )
    params |= {"nulls": NULL_STRINGS, "decimal": decimal}
    return con.sql(query, params=params).to_arrow_table()
