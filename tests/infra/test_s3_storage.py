"""Every storage operation on a real S3-protocol server (moto's, on loopback): no mock of s3fs."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from simulacra.infra.config import Settings
from simulacra.infra.data_keys import DataKeys
from simulacra.infra.key_provider import LocalKeyProvider
from simulacra.infra.object_store import BLOCK_BYTES
from simulacra.infra.storage import Storage, StorageUnreachable
from tests.s3_server import S3Server
from tests.stack import settings_env

KEK = LocalKeyProvider(secrets.token_bytes(32))


@pytest.fixture
def store(s3_env: S3Server) -> Storage:
    return Storage(f"s3://{s3_env.new_bucket()}/simulacra", KEK)


def _raw_keys(storage: Storage) -> list[str]:
    """Every object in the bucket, as the store lists it (no directories on S3)."""
    bucket = storage.root.split("/", 1)[0]
    return sorted(storage.fs.find(bucket))


def test_round_trip_streams_a_multipart_upload_and_a_ranged_read(store: Storage) -> None:
    # Over one part: the write goes up as a multipart upload, the read comes down in ranges.
    payload = os.urandom(BLOCK_BYTES + BLOCK_BYTES // 2)
    with store.open_write("tenants/acme/datasets/ds_1/cleaned.parquet") as handle:
        for start in range(0, len(payload), 1 << 20):
            handle.write(payload[start : start + (1 << 20)])
    assert store.exists("tenants/acme/datasets/ds_1/cleaned.parquet")
    with store.open_read("tenants/acme/datasets/ds_1/cleaned.parquet") as reader:
        assert reader.plaintext_size == len(payload)
        assert reader.read(1000) == payload[:1000]
        assert reader.read() == payload[1000:]
    raw = store.fs.cat_file(store.path("tenants/acme/datasets/ds_1/cleaned.parquet"))
    assert raw[:6] == b"SIMENC" and payload[:64] not in raw


def test_a_failed_write_leaves_nothing_behind(store: Storage) -> None:
    for size in (10, BLOCK_BYTES + 1):  # a one-shot PUT never sent, and a multipart upload aborted
        with pytest.raises(RuntimeError), store.open_write("tenants/acme/staging/abc/upload") as handle:
            handle.write(os.urandom(size))
            raise RuntimeError("the client went away")
        assert not store.exists("tenants/acme/staging/abc/upload")
    assert [key for key in _raw_keys(store) if "/tenants/" in key] == []
    bucket = store.root.split("/", 1)[0]
    uploads = store.fs.call_s3("list_multipart_uploads", Bucket=bucket)
    assert uploads.get("Uploads", []) == []


def test_listing_a_prefix_without_directories(store: Storage) -> None:
    assert store.children("tenants") == []
    assert store.newest_write("tenants/acme") is None
    for key in ("tenants/acme/datasets/ds_1/a", "tenants/acme/datasets/ds_10/b", "tenants/globex/staging/s1/x"):
        store.write_bytes(key, b"x")
    assert store.children("tenants") == ["acme", "globex"]
    assert store.children("tenants/acme/datasets") == ["ds_1", "ds_10"]
    assert store.children("") == ["keys", "tenants"]
    newest = store.newest_write("tenants/acme/datasets/ds_1")
    assert newest is not None and abs(newest - store.newest_write("tenants/acme")) < 5  # type: ignore[operator]


def test_delete_prefix_takes_whole_segments_and_tolerates_what_is_gone(store: Storage) -> None:
    for key in ("tenants/acme/datasets/ds_1/a", "tenants/acme/datasets/ds_1/b/c", "tenants/acme/datasets/ds_10/a"):
        store.write_bytes(key, b"x")
    store.delete_prefix("tenants/acme/datasets/ds_1")
    assert store.children("tenants/acme/datasets") == ["ds_10"]
    store.delete_prefix("tenants/acme/datasets/ds_1")  # gone already: success
    store.delete_prefix("tenants/acme/datasets/ds_10/a")  # a single object
    assert store.children("tenants/acme/datasets") == []


def test_put_file_and_local_copy(store: Storage, tmp_path: Path) -> None:
    source = tmp_path / "model.pkl"
    source.write_bytes(os.urandom(300_000))
    store.put_file(source, "tenants/acme/datasets/ds_1/model-v1.pkl")
    with store.local_copy("tenants/acme/datasets/ds_1/model-v1.pkl") as copy:
        assert Path(copy).read_bytes() == source.read_bytes()
    assert not Path(copy).exists()


def test_documents_and_missing_objects(store: Storage) -> None:
    store.write_json("tenants/acme/datasets/ds_1/schema.json", {"columns": ["a"]})
    assert store.read_json("tenants/acme/datasets/ds_1/schema.json") == {"columns": ["a"]}
    with pytest.raises(FileNotFoundError):
        store.open_read("tenants/acme/datasets/ds_1/nope.json")
    assert not store.exists("tenants/acme/datasets/ds_2")


def test_a_tenants_first_data_key_is_created_once_across_processes(store: Storage) -> None:
    # Two independent key stores (two processes) race to create acme's key: both end up with the one that landed.
    first, second = (DataKeys(store.fs, store.root, KEK) for _ in range(2))
    assert first.current("acme") == second.current("acme")
    assert [key.rsplit("/", 2)[-2:] for key in _raw_keys(store)] == [["keys", "acme.json"]]


def test_aws_region_is_passed_to_the_client(store: Storage) -> None:
    assert store.fs.client_kwargs == {"region_name": "eu-west-1"}


def test_a_missing_bucket_or_an_unreachable_endpoint_is_refused_with_the_reason(
    s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    Storage(f"s3://{s3_env.new_bucket()}/p", KEK).check_reachable()
    with pytest.raises(StorageUnreachable, match="does not exist"):
        Storage("s3://no-such-bucket-here/p", KEK).check_reachable()
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(StorageUnreachable):
        Storage(f"s3://{secrets.token_hex(6)}/p", KEK).check_reachable()


def test_a_worker_pointed_at_a_missing_bucket_stops_at_start_naming_the_setting(
    settings: Settings, s3_env: S3Server
) -> None:
    env = settings_env(settings.with_overrides(storage_url="s3://no-such-bucket-here/p")) | s3_env.env
    done = subprocess.run(
        [sys.executable, "-m", "simulacra.infra.cli", "worker"], env=env, capture_output=True, timeout=120
    )
    stderr = done.stderr.decode()
    assert done.returncode != 0
    assert "SIMULACRA_STORAGE_URL=s3://no-such-bucket-here/p: the store cannot be used" in stderr
    assert "does not exist" in stderr and "Traceback" not in stderr
