"""Named generators for corpus bodies too large or too binary to keep as text in the JSON files.

An entry names one as `{"generator": "<name>", "args": {...}}`; each returns the bytes to send.
"""

from __future__ import annotations

import gzip
import io
import random
import zipfile
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


def table(
    rows: int = 5,
    header: str = "brand,price,region",
    cell: str | None = None,
    sep: str = ",",
    encoding: str = "utf-8",
    prefix: str = "",
) -> bytes:
    """A small delimited table: too few rows to model, so the upload fails at cleaning, after reading."""
    lines = [header]
    for i in range(rows):
        lines.append(sep.join([cell if cell is not None else f"b{i % 3}", f"{1 + i * 0.5}", f"r{i % 2}"]))
    return (prefix + "\n".join(lines) + "\n").encode(encoding)


def random_bytes(size: int = 4096, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def long_line(length: int = 2_000_000) -> bytes:
    return b"a,b\n" + b"x" * length + b",1\n"


def gzip_bomb(rows: int = 2_000_000, columns: int = 2) -> bytes:
    """A gzip'd CSV that inflates about a thousandfold: a few KB on the wire, tens of MB decoded."""
    header = ",".join(f"c{i}" for i in range(columns)) + "\n"
    row = ",".join("1" for _ in range(columns)) + "\n"
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0) as handle:
        handle.write(header.encode())
        for _ in range(rows // 10_000):
            handle.write(row.encode() * 10_000)
    return out.getvalue()


def zip_in_csv(rows: int = 30) -> bytes:
    """A zip archive holding a CSV, uploaded as if it were the CSV itself."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("table.csv", table(rows))
    return out.getvalue()


def parquet_rows(rows: int = 20_000_000) -> bytes:
    """A Parquet file of constant columns: a few hundred KB that decode to `rows` rows."""
    chunk = pa.table({"a": pa.array([1] * 1_000_000, pa.int8()), "b": pa.array([2] * 1_000_000, pa.int8())})
    out = io.BytesIO()
    with pq.ParquetWriter(out, chunk.schema, compression="zstd") as writer:
        for _ in range(rows // 1_000_000):
            writer.write_table(chunk, row_group_size=1_000_000)
    return out.getvalue()


def parquet_truncated() -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.table({"a": list(range(50)), "b": [f"x{i % 3}" for i in range(50)]}), out)
    return out.getvalue()[:-40]


def arrow_damaged_footer() -> bytes:
    """An Arrow IPC file with one byte of its footer flipped: pyarrow refuses it with an OSError."""
    table = pa.table({"a": list(range(30)), "b": ["x", "y", "z"] * 10})
    out = io.BytesIO()
    with pa.ipc.new_file(out, table.schema) as writer:
        writer.write_table(table)
    data = bytearray(out.getvalue())
    data[-19] ^= 0xFF
    return bytes(data)


def wide_csv(columns: int = 1000, rows: int = 30) -> bytes:
    """Many columns of few rows: small on the wire, the expensive case for structure discovery."""
    rng = random.Random(columns)
    lines = [",".join(f"q{i}" for i in range(columns))]
    lines += [",".join(str(rng.randint(1, 5)) for _ in range(columns)) for _ in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def deep_json(depth: int = 100_000) -> bytes:
    return b'{"row_count": 10, "conditions": ' + b"[" * depth + b"]" * depth + b"}"


def big_json(size: int = 300_000) -> bytes:
    return b'{"row_count": 10, "pad": "' + b"x" * size + b'"}'


def repeat(text: str, times: int, prefix: str = "", suffix: str = "") -> bytes:
    return (prefix + text * times + suffix).encode()


GENERATORS: dict[str, Callable[..., bytes]] = {
    "table": table,
    "random_bytes": random_bytes,
    "long_line": long_line,
    "gzip_bomb": gzip_bomb,
    "zip_in_csv": zip_in_csv,
    "parquet_rows": parquet_rows,
    "parquet_truncated": parquet_truncated,
    "arrow_damaged_footer": arrow_damaged_footer,
    "wide_csv": wide_csv,
    "deep_json": deep_json,
    "big_json": big_json,
    "repeat": repeat,
}


def generate(spec: dict[str, Any]) -> bytes:
    return GENERATORS[spec["generator"]](**spec.get("args", {}))
