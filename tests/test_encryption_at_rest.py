"""Encryption at rest and signed downloads, end to end: a sentinel value goes in through the API, comes back out
through a download, and is nowhere in plaintext on disk in between."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from starlette.testclient import TestClient

from simulacra.infra import layout
from simulacra.infra.config import Settings
from simulacra.infra.signed_urls import UrlSigner
from simulacra.infra.storage import open_storage
from tests.conftest import claim_token
from tests.flows import bearer, finished, generate, upload

SENTINEL = "zqsentinel7k3x9w"
TENANT = "sentinel-co"
FORBIDDEN = {
    "utf-8": SENTINEL.encode(),
    "utf-16-le": SENTINEL.encode("utf-16-le"),
    "utf-16-be": SENTINEL.encode("utf-16-be"),
}


@pytest.fixture(scope="module")
def sentinel_token(client: TestClient, settings: Settings) -> str:
    return claim_token(client, settings, TENANT)


@pytest.fixture(scope="module")
def sentinel_generation(
    client: TestClient, sentinel_token: str, worker: object, tracker_csv: bytes
) -> tuple[str, str, dict]:
    """The tracker with one frequent segment level renamed to the sentinel, modelled and sampled."""
    seeded = tracker_csv.replace(b",genz_switcher,", f",{SENTINEL},".encode())
    assert seeded.count(SENTINEL.encode()) > 500  # about 15% of rows: a level cleaning keeps
    accepted = upload(client, sentinel_token, seeded, "sentinel.csv")
    assert accepted.status_code == 202, accepted.text
    dataset = finished(client, sentinel_token, accepted.json()["job_id"], worker)
    assert dataset["status"] == "ready", dataset
    dataset_id = accepted.json()["dataset_id"]
    made = generate(client, sentinel_token, dataset_id, {"row_count": 1500, "seed": 3})
    job = finished(client, sentinel_token, made.json()["job_id"], worker)
    assert job["status"] == "ready", job
    return dataset_id, made.json()["generation_id"], job


def _signed(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()} | changes
    return f"{parts.path}?{urlencode(query)}"


def test_sentinel_is_downloadable_but_nowhere_in_plaintext_at_rest(
    client: TestClient, settings: Settings, sentinel_token: str, sentinel_generation: tuple[str, str, dict]
) -> None:
    dataset_id, generation_id, job = sentinel_generation
    schema = client.get(f"/v1/datasets/{dataset_id}/schema", headers=bearer(sentinel_token)).json()
    segment = next(column for column in schema["columns"] if column["name"] == "segment")
    assert SENTINEL in {level["value"] for level in segment["levels"]}  # it survived cleaning

    download = client.get(job["artifact_url"], headers=bearer(sentinel_token))
    assert download.status_code == 200, download.text
    assert download.headers["content-type"].startswith("text/csv")
    assert int(download.headers["content-length"]) == len(download.content)
    assert download.headers["content-disposition"] == f'attachment; filename="{generation_id}.csv"'
    assert download.content.count(SENTINEL.encode()) > 50

    # Each stage's plaintext holds the sentinel (so the walk below is a real test) ...
    storage = open_storage(settings)
    # The upload was encrypted once as it streamed in, read once by the clean step, and removed.
    assert not storage.exists(layout.upload_key(TENANT, dataset_id))
    assert storage.children(f"tenants/{TENANT}/staging") == []
    for key in (
        layout.cleaned_key(TENANT, dataset_id),
        layout.model_key(TENANT, dataset_id, 1),
        layout.schema_key(TENANT, dataset_id),
        layout.artifact_key(TENANT, generation_id, "csv"),
    ):
        assert SENTINEL.encode() in storage.read_bytes(key), key
    # ... and no byte on disk does: not in storage, not in the key records, control DB or logs.
    tenant_files = list((settings.data_dir / "storage" / "tenants" / TENANT).rglob("*"))
    assert sum(path.is_file() for path in tenant_files) >= 6
    found = [
        f"{path} ({encoding})"
        for path in settings.data_dir.rglob("*")
        if path.is_file()
        for encoding, needle in FORBIDDEN.items()
        if needle in path.read_bytes()
    ]
    assert found == []
    for path in tenant_files:
        if path.is_file():
            assert path.read_bytes()[:6] == b"SIMENC", path


def test_download_refusals_have_their_own_codes(
    client: TestClient,
    settings: Settings,
    sentinel_token: str,
    other_token: str,
    sentinel_generation: tuple[str, str, dict],
) -> None:
    _, generation_id, job = sentinel_generation
    url = job["artifact_url"]
    path = urlsplit(url).path
    query = parse_qs(urlsplit(url).query)
    signature, expires = query["signature"][0], query["expires"][0]

    def refusal(target: str, token: str = sentinel_token) -> tuple[int, str]:
        response = client.get(target, headers=bearer(token))
        return response.status_code, response.json()["code"]

    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    assert refusal(_signed(url, signature=flipped)) == (403, "simio_invalid_signature")
    assert refusal(_signed(url, expires=str(int(expires) + 3600))) == (403, "simio_invalid_signature")
    assert refusal(path) == (403, "simio_invalid_signature")
    other_generation = path.replace(generation_id, "gen_" + "0" * 24)
    assert refusal(_signed(url).replace(path, other_generation)) == (403, "simio_invalid_signature")

    signer = UrlSigner.for_settings(settings)
    stale, _ = signer.sign("", TENANT, path, now=time.time() - settings.artifact_url_ttl_seconds - 60)
    assert refusal(stale) == (403, "simio_signature_expired")

    # Another tenant's authentic link answers exactly like a generation that tenant does not have.
    cross = client.get(url, headers=bearer(other_token))
    missing_path = f"/v1/generations/gen_{'f' * 24}/artifact"
    missing, _ = signer.sign("", "globex", missing_path)
    unknown = client.get(missing, headers=bearer(other_token))
    assert cross.status_code == unknown.status_code == 404
    assert cross.json()["code"] == unknown.json()["code"] == "simio_generation_not_found"
    assert cross.json()["title"] == unknown.json()["title"]

    assert client.get(url, headers=bearer(sentinel_token)).status_code == 200  # the link itself still works


def test_parquet_download_has_exact_length_and_type(
    client: TestClient, sentinel_token: str, sentinel_generation: tuple[str, str, dict], worker: object
) -> None:
    dataset_id = sentinel_generation[0]
    made = generate(client, sentinel_token, dataset_id, {"row_count": 700, "format": "parquet", "seed": 4})
    job = finished(client, sentinel_token, made.json()["job_id"], worker)
    download = client.get(job["artifact_url"], headers=bearer(sentinel_token))
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/vnd.apache.parquet"
    assert int(download.headers["content-length"]) == len(download.content)
    assert download.content[:4] == download.content[-4:] == b"PAR1"
    assert Path(download.headers["content-disposition"].split('"')[1]).suffix == ".parquet"
