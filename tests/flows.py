"""Client-side steps shared by the end-to-end tests: what a user does over HTTP."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pyarrow.csv
from starlette.testclient import TestClient

from tests.stack import wait_for_job


def bearer(token: str, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def upload(client: TestClient, token: str, content: bytes, name: str = "tracker.csv", key: str | None = None):
    return client.post(
        "/v1/datasets", headers=bearer(token, key or uuid.uuid4().hex), files={"file": (name, content, "text/csv")}
    )


def generate(client: TestClient, token: str, dataset_id: str, body: dict[str, Any], key: str | None = None):
    return client.post(
        f"/v1/datasets/{dataset_id}/generations", headers=bearer(token, key or uuid.uuid4().hex), json=body
    )


def finished(client: TestClient, token: str, job_id: str, worker: Any) -> dict[str, Any]:
    return wait_for_job(lambda path: client.get(path, headers=bearer(token)), job_id, lambda: worker.poll() is None)


def rows_of(client: TestClient, token: str, job: dict[str, Any]) -> pyarrow.Table:
    response = client.get(job["artifact_url"], headers=bearer(token))
    assert response.status_code == 200, response.text
    return pyarrow.csv.read_csv(io.BytesIO(response.content))
