"""The whole flow with SIMULACRA_STORAGE_URL=s3://bucket/prefix on a real S3-protocol server (moto's, on loopback).

A worker process configured only by SIMULACRA_* and the standard AWS variables, the real app, a real Temporal:
upload -> ready -> generation -> signed download -> the sweep -> DELETE -> expiry -> nothing left in the bucket,
and at every point the bucket holds ciphertext only.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pyarrow.csv
import pytest
from starlette.testclient import TestClient
from temporalio.testing import ActivityEnvironment

from simulacra.activities.sweep_activities import SweepActivities
from simulacra.api.app import create_app
from simulacra.infra.config import Settings
from simulacra.infra.storage import open_storage
from simulacra.infra.temporal import connect_to
from simulacra.workflows.contracts import SweepResult
from tests.flows import bearer, finished, generate
from tests.s3_server import S3Server
from tests.stack import poll_until, settings_env, start_cli

COLUMNS = ("zq_region_band", "zq_price_tier", "zq_intent_score")
TABLE = (",".join(COLUMNS) + "\n").encode() + b"".join(
    f"r{i % 3},t{i % 2},{(i % 3) * 2 + i % 2 + (i % 5) / 10}\n".encode() for i in range(150)
)


@pytest.fixture
def s3_settings(settings: Settings, s3_env: S3Server) -> Settings:
    # Its own bucket and task queue; a retention "hour" of 10 s so the generation expires within the test.
    return settings.with_overrides(
        storage_url=f"s3://{s3_env.new_bucket()}/simulacra",
        task_queue=f"s3-{uuid.uuid4().hex[:8]}",
        retention_hour_seconds=10,
    )


@pytest.fixture
def s3_worker(s3_settings: Settings, s3_env: S3Server, tmp_path: Path) -> Iterator[object]:
    env = settings_env(s3_settings) | s3_env.env
    process = start_cli(["worker"], env, tmp_path / "worker.log")
    yield process
    process.terminate()
    process.wait(timeout=30)


def _bucket_objects(settings: Settings) -> dict[str, bytes]:
    """Every object under the storage URL, raw, read past Simulacra with a client of its own."""
    fs, root = fsspec.core.url_to_fs(settings.resolved_storage_url, use_listings_cache=False)
    return {key.removeprefix(root + "/"): fs.cat_file(key) for key in fs.find(root)}


def _tenant_objects(settings: Settings, tenant: str) -> list[str]:
    # Keys only: polled while the worker removes objects, and one listed may be gone before it is read.
    fs, root = fsspec.core.url_to_fs(settings.resolved_storage_url, use_listings_cache=False)
    keys = (key.removeprefix(root + "/") for key in fs.find(root))
    return [key for key in keys if key.startswith(f"tenants/{tenant}/")]


async def _sweep(settings: Settings) -> SweepResult:
    """The sweep activity on S3 with no grace period (S3 cannot backdate an object), against the real Temporal."""
    client = await connect_to(settings)
    sweeper = SweepActivities(client, open_storage(settings), grace_seconds=0)
    return await ActivityEnvironment().run(sweeper.sweep)


def test_the_whole_flow_runs_on_s3(s3_settings: Settings, s3_worker: object, token: str) -> None:
    alive = s3_worker
    with TestClient(create_app(s3_settings), base_url=s3_settings.base_url) as client:
        accepted = client.post(
            "/v1/datasets",
            headers=bearer(token, uuid.uuid4().hex),
            files={"file": ("survey.csv", TABLE, "text/csv")},
        )
        assert accepted.status_code == 202, accepted.text
        dataset_id = accepted.json()["dataset_id"]
        assert finished(client, token, accepted.json()["job_id"], alive)["status"] == "ready"
        schema = client.get(f"/v1/datasets/{dataset_id}/schema", headers=bearer(token)).json()
        assert {column["name"] for column in schema["columns"]} == set(COLUMNS)

        made = generate(client, token, dataset_id, {"row_count": 40, "seed": 1, "retention_hours": 1})
        generation_id = made.json()["generation_id"]
        job = finished(client, token, made.json()["job_id"], alive)
        assert job["status"] == "ready", job
        download = client.get(job["artifact_url"], headers=bearer(token))
        assert download.status_code == 200, download.text
        assert int(download.headers["content-length"]) == len(download.content)
        assert pyarrow.csv.read_csv(io.BytesIO(download.content)).num_rows == 40

        # The store only ever sees ciphertext: every object under tenants/ is framed and sealed, and no
        # object (key records included) holds a column name.
        objects = _bucket_objects(s3_settings)
        stored = [key for key in objects if key.startswith("tenants/acme/")]
        assert len(stored) >= 6, stored
        assert all(objects[key][:6] == b"SIMENC" for key in stored)
        assert [(key, name) for key, raw in objects.items() for name in COLUMNS if name.encode() in raw] == []

        # The sweep removes an orphan nobody holds and leaves what running workflows hold.
        fs, root = fsspec.core.url_to_fs(s3_settings.resolved_storage_url)
        fs.pipe_file(f"{root}/tenants/acme/datasets/ds_orphan00000000000000/upload", b"orphan")
        swept = asyncio.run(_sweep(s3_settings))
        assert swept.removed == ["tenants/acme/datasets/ds_orphan00000000000000"]
        assert set(_tenant_objects(s3_settings, "acme")) == set(stored)

        deleted = client.delete(f"/v1/datasets/{dataset_id}", headers=bearer(token))
        assert deleted.status_code == 204
        assert not [key for key in _tenant_objects(s3_settings, "acme") if dataset_id in key]
        assert client.get(f"/v1/datasets/{dataset_id}", headers=bearer(token)).status_code == 404

        # The generation expires on its own window (10 s here), and then nothing of the tenant is left.
        poll_until(
            lambda: client.get(f"/v1/generations/{generation_id}", headers=bearer(token)).status_code,
            lambda status: status == 404,
            timeout=90,
        )
        poll_until(lambda: _tenant_objects(s3_settings, "acme"), lambda left: left == [], timeout=60)
        assert client.get(job["artifact_url"], headers=bearer(token)).status_code == 404
