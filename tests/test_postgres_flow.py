"""The quickstart with SIMULACRA_CONTROL_DB=postgresql://... on a real PostgreSQL: migrated by the operator's command,
refused by a worker before that, then the whole flow with usage billed once and a replay answered from PostgreSQL.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

from starlette.testclient import TestClient

from simulacra.api.app import create_app
from simulacra.infra.config import Settings
from tests.conftest import claim_token
from tests.flows import bearer, finished, generate, upload
from tests.postgres import PostgresServer
from tests.stack import settings_env, start_cli
from tests.test_flow import QUICKSTART


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulacra.infra.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_quickstart_runs_on_postgresql(
    settings: Settings, postgres: PostgresServer, tracker_csv: bytes, tmp_path: Path
) -> None:
    pg = settings.with_overrides(control_db=postgres.create_database(), task_queue=f"pg-{uuid.uuid4().hex[:8]}")
    env = settings_env(pg)
    refused = _cli(["worker"], env)
    assert refused.returncode != 0 and "run `simulacra admin migrate`" in refused.stderr, refused.stderr
    migrated = _cli(["admin", "migrate"], env)
    assert migrated.returncode == 0 and "was empty" in migrated.stdout, migrated.stderr
    assert "nothing to do" in _cli(["admin", "migrate"], env).stdout

    worker = start_cli(["worker"], env, tmp_path / "worker.log")
    try:
        with TestClient(create_app(pg), base_url=pg.base_url) as client:
            token = claim_token(client, pg, "acme-pg")
            accepted = upload(client, token, tracker_csv, "tracker_q3.csv")
            assert accepted.status_code == 202, accepted.text
            assert finished(client, token, accepted.json()["job_id"], worker)["status"] == "ready"
            key = uuid.uuid4().hex
            first = generate(client, token, accepted.json()["dataset_id"], QUICKSTART, key=key)
            assert first.status_code == 202, first.text
            job = finished(client, token, first.json()["job_id"], worker)
            assert job["status"] == "ready" and job["rows_generated"] == 2000, job
            replay = generate(client, token, accepted.json()["dataset_id"], QUICKSTART, key=key)
            assert replay.json() == first.json() and replay.headers["idempotent-replayed"] == "true"
            usage = client.get("/v1/usage", headers=bearer(token)).json()
            assert usage["rows_generated"] == 2000, usage
    finally:
        worker.terminate()
        worker.wait(timeout=30)
