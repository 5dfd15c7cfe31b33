"""With Temporal gone, the API says so: a retryable 503 problem with Retry-After, never a hang or a reset."""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.testclient import TestClient

from simulacra.api.app import create_app
from simulacra.infra.config import Settings
from simulacra.infra.devserver import DevServerOptions, start_dev_server, stop_process
from simulacra.infra.temporal import connect
from simulacra.workflows.contracts import SEARCH_ATTRIBUTES
from tests.conftest import claim_token
from tests.flows import bearer, upload
from tests.stack import free_port


def test_requests_answer_503_while_temporal_is_down(tmp_path: Path) -> None:
    port = free_port()
    options = DevServerOptions(
        tmp_path / "temporal.sqlite", port, None, "default", SEARCH_ATTRIBUTES, tmp_path / "temporal.log"
    )
    server = start_dev_server(options)
    try:
        asyncio.run(connect(f"127.0.0.1:{port}", "default", wait_seconds=60))
        settings = Settings(data_dir=tmp_path / "data", temporal_address=f"127.0.0.1:{port}", port=free_port())
        with TestClient(create_app(settings), base_url=settings.base_url, raise_server_exceptions=False) as client:
            token = claim_token(client, settings, "acme")
            stop_process(server)  # Temporal is gone; the API and its tokens are not

            job = client.get("/v1/jobs/job_ds_0123456789abcdef0123", headers=bearer(token))
            accepted = upload(client, token, b"a,b\n1,2\n" * 30, "t.csv")
            for answer in (job, accepted):
                assert answer.status_code == 503, answer.text
                assert answer.json()["code"] == "simio_service_unavailable" and answer.json()["retryable"]
                assert answer.headers["retry-after"] == "1"
            not_ready = client.get("/readyz")
            assert not_ready.status_code == 503 and "temporal" in not_ready.json()["detail"]
            assert client.get("/healthz").status_code == 200
    finally:
        stop_process(server)
