"""Encryption at rest, on real files (and memory://): the format, the key hierarchy, and what must fail."""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from simulacra.infra.config import Settings, load_settings
from simulacra.infra.encryption import CHUNK_SIZE, TAG_BYTES, DecryptionError, Header
from simulacra.infra.key_provider import KeyProvider, KeyUnavailable, LocalKeyProvider, load_key_provider, local_kek_id
from simulacra.infra.storage import Storage

KEY = "tenants/acme/datasets/ds_1/upload"
KEK = bytes(range(32))


def _storage(root: Path | str, kek: bytes = KEK, previous: tuple[bytes, ...] = ()) -> Storage:
    url = root if isinstance(root, str) else root.as_uri()
    return Storage(url, LocalKeyProvider(kek, previous))


def _stored(tmp_path: Path, key: str = KEY) -> Path:
    return tmp_path / key


def _header_size(path: Path) -> int:
    with open(path, "rb") as handle:
        return len(Header.read_from(handle).encoded)


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, 2 * CHUNK_SIZE, 5 * CHUNK_SIZE + 12345])
def test_round_trip_at_every_chunk_boundary(tmp_path: Path, size: int) -> None:
    storage = _storage(tmp_path)
    data = os.urandom(size)
    storage.write_bytes(KEY, data)
    assert storage.read_bytes(KEY) == data
    with storage.open_read(KEY) as reader:
        assert reader.plaintext_size == size
    chunks = max(1, -(-size // CHUNK_SIZE))
    assert _stored(tmp_path).stat().st_size == _header_size(_stored(tmp_path)) + size + chunks * TAG_BYTES


def test_stored_bytes_hold_no_plaintext_and_reads_stream(tmp_path: Path) -> None:
    storage = _storage(tmp_path)
    data = b"respondent,segment\n" + b"42,genz_switcher\n" * 400_000  # 6.8 MB: seven chunks
    with storage.open_write(KEY) as handle:
        for start in range(0, len(data), 65_536):  # the way an upload arrives
            handle.write(data[start : start + 65_536])
    assert b"genz_switcher" not in _stored(tmp_path).read_bytes()
    with storage.open_read(KEY) as reader:
        pieces = iter(lambda: reader.read(100_000), b"")
        assert b"".join(pieces) == data


def test_large_objects_stream_in_bounded_memory(tmp_path: Path) -> None:
    storage = _storage(tmp_path)
    piece = os.urandom(256 * 1024)
    total = 32 * 1024 * 1024
    storage.write_bytes("tenants/acme/warm", b"")  # the data key is created (and cached) outside the measurement
    tracemalloc.start()
    try:
        with storage.open_write(KEY) as handle:
            for _ in range(total // len(piece)):
                handle.write(piece)
        with storage.open_read(KEY) as reader:
            read = sum(len(block) for block in iter(lambda: reader.read(256 * 1024), b""))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read == total
    assert peak < 8 * 1024 * 1024, peak  # a few chunks, never the 32 MiB object


def test_pyarrow_writes_and_reads_through_storage(tmp_path: Path) -> None:
    storage = _storage(tmp_path)
    table = pa.table({"segment": ["genz_switcher", "loyalist"] * 50_000, "price": [5.49, 3.99] * 50_000})
    key = "tenants/acme/generations/gen_1/rows.parquet"
    with storage.open_write(key) as handle:
        pq.write_table(table, handle)
    with storage.local_copy(key) as path:
        assert not path.startswith(str(tmp_path)), "a local copy is never the stored (encrypted) object"
        assert pq.read_table(path).equals(table)
        assert b"PAR1" == Path(path).read_bytes()[:4]
    assert not Path(path).exists(), "the decrypted copy is removed on exit"
    assert _stored(tmp_path, key).read_bytes()[:6] == b"SIMENC"


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("where", ["header", "first_chunk", "middle_chunk", "last_tag"])
def test_a_flipped_byte_anywhere_fails_the_read(tmp_path: Path, where: str) -> None:
    storage = _storage(tmp_path)
    storage.write_bytes(KEY, os.urandom(3 * CHUNK_SIZE + 10))
    path = _stored(tmp_path)
    header = _header_size(path)
    offset = {
        "header": 10,  # inside the chunk size / salt
        "first_chunk": header + 5,
        "middle_chunk": header + CHUNK_SIZE + TAG_BYTES + 777,
        "last_tag": path.stat().st_size - 1,
    }[where]
    _flip(path, offset)
    with pytest.raises(DecryptionError):
        storage.read_bytes(KEY)
    with pytest.raises(DecryptionError), storage.local_copy(KEY):
        pass


@pytest.mark.parametrize("cut", ["at_chunk_boundary", "inside_a_chunk", "header_only"])
def test_truncation_is_detected(tmp_path: Path, cut: str) -> None:
    storage = _storage(tmp_path)
    storage.write_bytes(KEY, os.urandom(3 * CHUNK_SIZE))
    path = _stored(tmp_path)
    header = _header_size(path)
    keep = {
        "at_chunk_boundary": header + 2 * (CHUNK_SIZE + TAG_BYTES),  # two whole chunks, the final one gone
        "inside_a_chunk": header + 2 * (CHUNK_SIZE + TAG_BYTES) + 100,
        "header_only": header,
    }[cut]
    path.write_bytes(path.read_bytes()[:keep])
    with pytest.raises(DecryptionError):
        storage.read_bytes(KEY)


def test_reordered_or_appended_chunks_are_detected(tmp_path: Path) -> None:
    storage = _storage(tmp_path)
    storage.write_bytes(KEY, os.urandom(3 * CHUNK_SIZE))
    path = _stored(tmp_path)
    raw = path.read_bytes()
    header, sealed = _header_size(path), CHUNK_SIZE + TAG_BYTES
    chunks = [raw[header + i * sealed : header + (i + 1) * sealed] for i in range(3)]
    path.write_bytes(raw[:header] + chunks[1] + chunks[0] + chunks[2])
    with pytest.raises(DecryptionError):
        storage.read_bytes(KEY)
    path.write_bytes(raw + chunks[2])
    with pytest.raises(DecryptionError):
        storage.read_bytes(KEY)


def test_an_object_copied_to_another_key_or_tenant_does_not_read(tmp_path: Path) -> None:
    storage = _storage(tmp_path)
    storage.write_bytes(KEY, b"acme's rows")
    storage.write_bytes("tenants/globex/datasets/ds_9/upload", b"globex's rows")
    same_tenant = "tenants/acme/datasets/ds_2/upload"
    _stored(tmp_path, same_tenant).parent.mkdir(parents=True)
    _stored(tmp_path, same_tenant).write_bytes(_stored(tmp_path).read_bytes())
    with pytest.raises(DecryptionError):
        storage.read_bytes(same_tenant)
    other_tenant = "tenants/globex/datasets/ds_9/upload"
    _stored(tmp_path, other_tenant).write_bytes(_stored(tmp_path).read_bytes())
    with pytest.raises(KeyUnavailable):  # globex's data key is not the one acme's object names
        _storage(tmp_path).read_bytes(other_tenant)


def test_a_wrapped_key_copied_to_another_tenant_does_not_unwrap(tmp_path: Path) -> None:
    storage = _storage(tmp_path)
    storage.write_bytes(KEY, b"acme's rows")
    record = json.loads((tmp_path / "keys/acme.json").read_bytes())
    (tmp_path / "keys/globex.json").write_text(json.dumps({**record, "tenant_id": "globex"}))
    stolen = "tenants/globex/datasets/ds_1/upload"
    _stored(tmp_path, stolen).parent.mkdir(parents=True)
    _stored(tmp_path, stolen).write_bytes(_stored(tmp_path).read_bytes())
    with pytest.raises(KeyUnavailable):  # the wrap is bound to the tenant, as a KMS encryption context
        _storage(tmp_path).read_bytes(stolen)


def test_only_tenant_objects_are_stored(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        _storage(tmp_path).write_bytes("loose.json", b"{}")


def test_kek_rotation_rewraps_data_keys_on_first_use(tmp_path: Path) -> None:
    old, new = os.urandom(32), os.urandom(32)
    _storage(tmp_path, old).write_bytes(KEY, b"written under the old KEK")
    record = lambda: json.loads((tmp_path / "keys/acme.json").read_bytes())  # noqa: E731
    assert record()["kek_id"] == local_kek_id(old)
    with pytest.raises(KeyUnavailable):  # the new KEK alone cannot read what the old one wrapped
        _storage(tmp_path, new).read_bytes(KEY)
    key_id = record()["key_id"]
    assert _storage(tmp_path, new, previous=(old,)).read_bytes(KEY) == b"written under the old KEK"
    assert record()["kek_id"] == local_kek_id(new) and record()["key_id"] == key_id
    assert _storage(tmp_path, new).read_bytes(KEY) == b"written under the old KEK"  # old KEK retired


class _DemoKms:
    """Stands in for a customer KMS client: its own key, its own ids, its own wrapping."""

    kek_id = "demo-kms/key-1"

    def __init__(self) -> None:
        self._aead = AESGCM(b"k" * 32)

    def wrap(self, data_key: bytes, context: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, data_key, b"demo\n" + context)

    def unwrap(self, wrapped: bytes, kek_id: str, context: bytes) -> bytes:
        assert kek_id == self.kek_id
        return self._aead.decrypt(wrapped[:12], wrapped[12:], b"demo\n" + context)


def demo_kms(settings: Settings) -> KeyProvider:
    return _DemoKms()


def test_key_provider_is_chosen_by_configuration(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    default = load_key_provider(settings)
    assert (tmp_path / "keys/kek.key").exists()
    assert load_key_provider(settings).kek_id == default.kek_id  # the key file is created once
    kek = base64.b64encode(KEK).decode()
    from_env = load_key_provider(load_settings({"SIMULACRA_DATA_DIR": str(tmp_path), "SIMULACRA_KEK": kek}))
    assert from_env.kek_id == local_kek_id(KEK)
    assert kek not in repr(Settings(kek=kek))  # settings get logged; the KEK must not be
    plugged = load_key_provider(Settings(data_dir=tmp_path, key_provider="tests.infra.test_encryption:demo_kms"))
    assert plugged.kek_id == "demo-kms/key-1"
    storage = Storage((tmp_path / "kms-storage").as_uri(), plugged)
    storage.write_bytes(KEY, b"under the customer's KMS")
    assert json.loads((tmp_path / "kms-storage/keys/acme.json").read_bytes())["kek_id"] == "demo-kms/key-1"
    assert Storage((tmp_path / "kms-storage").as_uri(), _DemoKms()).read_bytes(KEY) == b"under the customer's KMS"
    with pytest.raises(ValueError):
        load_key_provider(Settings(data_dir=tmp_path, key_provider="no_colon"))
    with pytest.raises(ValueError):
        load_key_provider(Settings(data_dir=tmp_path, kek=base64.b64encode(b"short").decode()))


def test_memory_backend(tmp_path: Path) -> None:
    root = f"memory://enc-{os.getpid()}-{id(tmp_path)}"
    storage = _storage(root)
    data = os.urandom(2 * CHUNK_SIZE + 5)
    storage.write_bytes(KEY, data)
    assert storage.read_bytes(KEY) == data and storage.open_read(KEY).plaintext_size == len(data)
    with storage.local_copy(KEY) as path:
        assert Path(path).read_bytes() == data
    stored = storage.fs.cat_file(storage.path(KEY))
    assert stored[:6] == b"SIMENC" and data[:64] not in stored
    assert storage.children("keys") == ["acme.json"]
    assert _storage(root).read_bytes(KEY) == data  # another instance finds the same key
    storage.fs.rm(storage.root, recursive=True)


def _write_first(root: str, barrier: Any, name: str) -> None:
    storage = _storage(root)
    barrier.wait()
    storage.write_bytes(f"tenants/race/objects/{name}", name.encode())


def test_concurrent_first_key_creation_across_processes(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4)
    processes = [context.Process(target=_write_first, args=(tmp_path.as_uri(), barrier, f"p{i}")) for i in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    storage = _storage(tmp_path)
    assert storage.children("keys") == ["race.json"]
    assert [storage.read_bytes(f"tenants/race/objects/p{i}") for i in range(4)] == [b"p0", b"p1", b"p2", b"p3"]


def test_concurrent_first_key_creation_in_memory_backend() -> None:
    root = f"memory://race-{os.getpid()}"
    barrier = threading.Barrier(16)

    def write(name: str) -> None:
        storage = _storage(root)  # separate instances: no shared cache
        barrier.wait()
        storage.write_bytes(f"tenants/race/objects/{name}", name.encode())

    threads = [threading.Thread(target=write, args=(f"t{i}",)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    storage = _storage(root)
    assert [storage.read_bytes(f"tenants/race/objects/t{i}") for i in range(16)] == [
        f"t{i}".encode() for i in range(16)
    ]
    storage.fs.rm(storage.root, recursive=True)


@pytest.mark.parametrize("size", [0, CHUNK_SIZE, 2 * CHUNK_SIZE + 77])
def test_a_reader_seeks_to_any_byte_and_reads_on_from_there(tmp_path: Path, size: int) -> None:
    storage = _storage(tmp_path)
    data = os.urandom(size)
    storage.write_bytes(KEY, data)
    with storage.open_read(KEY) as reader:
        assert reader.seekable()
        for start in sorted({0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 5, size - 3, size, size + 10}):
            if start < 0:
                continue
            assert reader.seek(start) == min(start, size) == reader.tell()
            assert _read_up_to(reader, CHUNK_SIZE + 9) == data[start : start + CHUNK_SIZE + 9]
        assert reader.seek(-min(2, size), os.SEEK_END) == max(0, size - 2)
        assert reader.read() == data[-2:]
        with pytest.raises(ValueError):
            reader.seek(-1)


def _read_up_to(reader: Any, size: int) -> bytes:
    """A raw reader may return short reads (a chunk at a time)."""
    parts = []
    while size and (part := reader.read(size)):
        parts.append(part)
        size -= len(part)
    return b"".join(parts)
