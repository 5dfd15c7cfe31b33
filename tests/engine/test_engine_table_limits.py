"""Decoded-size limits: a small file that decodes to a huge table is refused before it is read whole."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat
import pytest

from simulacra.engine.checks.errors import EngineInputError
from simulacra.engine.cleaning.limits import TableLimits
from simulacra.engine.cleaning.reading import read_upload

LIMITS = TableLimits(rows=10_000, columns=50, cells=100_000, text_bytes=1_000_000)


def refused(path: Path, limits: TableLimits = LIMITS) -> EngineInputError:
    with pytest.raises(EngineInputError) as refusal:
        read_upload(str(path), limits)
    return refusal.value


def test_a_parquet_bomb_is_refused_from_its_metadata_without_decoding(tmp_path: Path) -> None:
    # 20 million rows of one repeated value: a few hundred KB on disk, gigabytes in memory.
    table = pa.table({"x": pa.repeat(pa.scalar(1, pa.int64()), 20_000_000), "y": pa.nulls(20_000_000, pa.int8())})
    path = tmp_path / "upload"
    pq.write_table(table, path, compression="zstd")
    assert path.stat().st_size < 2_000_000
    # Damage every data page but keep the footer: a reader that decoded anything would call it unreadable.
    data = bytearray(path.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little") + 8
    data[4 : len(data) - footer] = bytes(len(data) - footer - 4)
    path.write_bytes(bytes(data))
    error = refused(path)
    assert error.code == "simio_table_too_large" and "10,000 rows" in error.detail


def test_a_gzip_csv_that_inflates_past_the_upload_cap_is_refused(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "upload", "wb") as bomb:
        bomb.write(b"a,b\n" + b"1,2\n" * 500_000)  # 2 MB of text from a few KB
    error = refused(tmp_path / "upload")
    assert error.code == "simio_table_too_large" and "decompresses to more than 1,000,000 bytes" in error.detail


def test_a_gzip_csv_within_the_limits_is_read_like_plain_text(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "upload", "wt") as small:
        small.write("price,bought\n" + "".join(f"{i % 7}.5,{i % 2}\n" for i in range(40)))
    columns = read_upload(str(tmp_path / "upload"), LIMITS)
    assert [column.header for column in columns] == ["price", "bought"] and len(columns[0].values) == 40


def test_a_damaged_gzip_is_an_invalid_upload(tmp_path: Path) -> None:
    data = gzip.compress(b"a,b\n" + b"1,2\n" * 100)
    (tmp_path / "upload").write_bytes(data[: len(data) // 2])
    error = refused(tmp_path / "upload")
    assert error.code == "simio_upload_invalid" and "gzip" in error.detail


def test_too_many_columns_are_refused_on_the_header_of_a_csv(tmp_path: Path) -> None:
    header = ",".join(f"q{i}" for i in range(51))
    (tmp_path / "upload").write_text(header + "\n" + ",".join("1" * 51) + "\n")
    error = refused(tmp_path / "upload")
    assert error.code == "simio_too_many_columns" and "51 columns; at most 50" in error.detail


def test_csv_rows_and_cells_are_capped_while_reading(tmp_path: Path) -> None:
    (tmp_path / "upload").write_text("a,b\n" + "1,2\n" * 10_001)
    assert refused(tmp_path / "upload").code == "simio_table_too_large"
    wide = TableLimits(rows=10_000, columns=50, cells=5_000, text_bytes=1_000_000)
    (tmp_path / "ok").write_text("a,b\n" + "1,2\n" * 2_500)
    assert len(read_upload(str(tmp_path / "ok"), wide)[0].values) == 2_500
    (tmp_path / "over").write_text("a,b\n" + "1,2\n" * 2_501)
    assert "5,000 cells" in refused(tmp_path / "over", wide).detail


def test_arrow_rows_are_counted_batch_by_batch(tmp_path: Path) -> None:
    table = pa.table({"x": pa.array(range(12_000))})
    with pa.ipc.new_file(tmp_path / "upload", table.schema) as writer:
        writer.write_table(table, max_chunksize=1_000)
    assert refused(tmp_path / "upload").code == "simio_table_too_large"


def test_spss_shape_is_refused_from_its_header(tmp_path: Path) -> None:
    frame = pd.DataFrame({f"q{i}": [1.0, 2.0] * 15 for i in range(60)})
    pyreadstat.write_sav(frame, str(tmp_path / "upload"))
    assert refused(tmp_path / "upload").code == "simio_too_many_columns"
