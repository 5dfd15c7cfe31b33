"""Fuzz the upload reader: any bytes either read as columns or raise EngineInputError with a clean message.

Arbitrary bytes, and valid CSV, Parquet, Arrow and SPSS files with bytes flipped, cut or inserted: the reader
(engine/cleaning/reading.py and the readers it dispatches to) must never raise anything else, since the
worker would retry any other exception and finally report an internal error for the client's bad file.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulacra.engine.checks.errors import EngineInputError
from simulacra.engine.cleaning.reading import read_upload
from tests.engine.fuzzing import FUZZ, LEAKS

TABLE = pa.table({"brand": ["a", "b", "c", "a"] * 5, "price": [1.5, 2.0, None, 3.25] * 5, "n": list(range(20))})


def _parquet() -> bytes:
    out = io.BytesIO()
    pq.write_table(TABLE, out)
    return out.getvalue()


def _arrow() -> bytes:
    out = io.BytesIO()
    with pa.ipc.new_file(out, TABLE.schema) as writer:
        writer.write_table(TABLE)
    return out.getvalue()


def _sav() -> bytes:
    import pandas as pd
    import pyreadstat

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.sav"
        pyreadstat.write_sav(pd.DataFrame({"q1": [1.0, 2.0, 3.0] * 7, "q2": [5.0, 4.0, 3.0] * 7}), str(path))
        return path.read_bytes()


CSV = b'brand,price,when\nFizzo,3.49,2026-01-02\n"Value, Cola",5,2026-02-03\nNA,,\n'
SEEDS = {"csv": CSV, "parquet": _parquet(), "arrow": _arrow(), "sav": _sav()}


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid file of some format with a few bytes flipped, cut or inserted (keeping its magic, usually)."""
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif op == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        else:
            del data[at:]
    return bytes(data)


def _read(tmp: Path, data: bytes) -> None:
    path = tmp / "upload"
    path.write_bytes(data)
    try:
        columns = read_upload(str(path))
    except EngineInputError as exc:
        assert exc.code.startswith("simio_"), exc.code
        assert not [word for word in LEAKS if word in exc.detail], exc.detail
        assert str(tmp) not in exc.detail
        return
    assert all(len(column.values) == len(columns[0].values) for column in columns)


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes_read_or_are_refused_cleanly(tmp: Path, data: bytes) -> None:
    _read(tmp, data)


@FUZZ
@given(
    data=st.sampled_from([b"PAR1", b"ARROW1", b"$FL2", b"$FL3", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf"]).flatmap(
        lambda magic: st.binary(max_size=1024).map(lambda rest: magic + rest)
    )
)
def test_magic_bytes_then_noise_are_refused_cleanly(tmp: Path, data: bytes) -> None:
    _read(tmp, data)


@FUZZ
@given(data=mutated())
def test_mutated_valid_files_read_or_are_refused_cleanly(tmp: Path, data: bytes) -> None:
    _read(tmp, data)


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list(",;\t|\"'\n\r\\ aZ09.-=NA\x00é")), max_size=400))
def test_csv_like_text_reads_or_is_refused_cleanly(tmp: Path, text: str) -> None:
    _read(tmp, text.encode("utf-8"))
