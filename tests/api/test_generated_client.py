"""A client generated from /openapi.json by openapi-python-client completes the quickstart flow."""

from __future__ import annotations

import csv
import importlib
import io
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests

from simulacra.infra.config import Settings
from simulacra.infra.credentials import CredentialStore


def _generate(spec_url: str, into: Path) -> Any:
    (into / "spec.json").write_text(json.dumps(requests.get(spec_url, timeout=30).json()))
    generator = Path(sys.executable).parent / "openapi-python-client"
    subprocess.run(
        [str(generator), "generate", "--path", "spec.json", "--output-path", "simulacra_client", "--meta", "none"],
        cwd=into,
        check=True,
        capture_output=True,
        timeout=300,
    )
    sys.path.insert(0, str(into))
    return importlib.import_module("simulacra_client")


def _wait(get_job: Any, client: Any, job_id: str) -> Any:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        job = get_job.sync(job_id, client=client)
        if job.status in ("ready", "partial", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish")


def test_generated_client_runs_the_quickstart(
    live_api: str, settings: Settings, worker: object, tmp_path: Path
) -> None:
    package = _generate(f"{live_api}/openapi.json", tmp_path)
    from simulacra_client.api.auth import claim_credentials, issue_token
    from simulacra_client.api.datasets import create_dataset, get_dataset_schema
    from simulacra_client.api.generations import create_generation, download_artifact
    from simulacra_client.api.jobs import get_job
    from simulacra_client.models import (
        CredentialClaimRequest,
        GenerationRequest,
        TokenRequest,
        UploadForm,
    )
    from simulacra_client.types import File

    _, claim = CredentialStore.for_settings(settings).create_client("acme", 3600)
    anonymous = package.Client(base_url=live_api)
    claimed = claim_credentials.sync(
        client=anonymous, body=CredentialClaimRequest(credential_claim_token=claim), idempotency_key=uuid.uuid4().hex
    )
    minted = issue_token.sync(
        client=anonymous,
        body=TokenRequest(
            grant_type="client_credentials",
            client_id=claimed.client_id,
            client_secret=claimed.client_secret,
        ),
    )
    client = package.AuthenticatedClient(base_url=live_api, token=minted.access_token)

    csv_bytes = (Path(__file__).resolve().parents[2] / "examples" / "tracker_q3.csv").read_bytes()
    accepted = create_dataset.sync(
        client=client,
        body=UploadForm(file=File(payload=io.BytesIO(csv_bytes), file_name="tracker.csv")),
        idempotency_key=uuid.uuid4().hex,
    )
    assert _wait(get_job, client, accepted.job_id).status == "ready"
    schema = get_dataset_schema.sync(accepted.dataset_id, client=client)
    assert "price" in {column.name for column in schema.columns}

    request = GenerationRequest.from_dict(
        {
            "row_count": 200,
            "seed": 4,
            "conditions": {
                "categorical": {"segment": {"genz_switcher": 0.3}},
                "numeric": {"price": {"min": 5.49, "max": 5.49}},
            },
        }
    )
    generation = create_generation.sync(
        accepted.dataset_id, client=client, body=request, idempotency_key=uuid.uuid4().hex
    )
    job = _wait(get_job, client, generation.job_id)
    assert job.status == "ready"
    query = parse_qs(urlparse(job.artifact_url).query)
    body = download_artifact.sync(
        generation.generation_id, client=client, expires=query["expires"][0], signature=query["signature"][0]
    )
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 200 and {row["price"] for row in rows} == {"5.49"}
