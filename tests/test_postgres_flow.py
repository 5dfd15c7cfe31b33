"""The flow with SIMULACRA_CONTROL_DB=postgresql://... on a real PostgreSQL: refused by a worker until the operator's
`simulacra admin migrate`, then claim, token, upload, generation, a replay answered from PostgreSQL and usage billed
once. A small table keeps the engine's share of the time short: the control database is what is under test here.
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

TABLE = b"segment,price_tier,intent\n" + b"".join(
    f"s{i % 3},t{i % 2},{(i % 3) * 2 + i % 2 + (i % 5) / 10}\n".encode() for i in range(150)
)
GENERATION = {"row_count": 500, "conditions": {"categorical": {"segment": {"s1": 0.5}}}, "seed": 3}


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulacra.infra.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_the_flow_runs_on_postgresql(settings: Settings, postgres: PostgresServer, tmp_path: Path) -> None:
    pg = settings.with_overrides(control_db=postgres.create_database(), task_queue=f"pg-{uuid.uuid4().hex[:8]}")
    env = settings_env(pg)
    refused = _cli(["worker"], env)
    assert refused.returncode != 0 and "run `simulacra admin migrate`" in refused.stderr, refused.stderr
    migrated = _cli(["admin", "migrate"], env)
    assert migrated.returncode == 0 and "was empty" in migrated.stdout, migrated.stderr

    worker = start_cli(["worker"], env, tmp_path / "worker.log")
    try:
        with TestClient(create_app(pg), base_url=pg.base_url) as client:
            token = claim_token(client, pg, "acme-pg")
            accepted = upload(client, token, TABLE, "small.csv")
            assert accepted.status_code == 202, accepted.text
            assert finished(client, token, accepted.json()["job_id"], worker)["status"] == "ready"
            key = uuid.uuid4().hex
            first = generate(client, token, accepted.json()["dataset_id"], GENERATION, key=key)
            assert first.status_code == 202, first.text
            job = finished(client, token, first.json()["job_id"], worker)
            assert job["status"] in ("ready", "partial") and job["rows_generated"] == 500, job
            replay = generate(client, token, accepted.json()["dataset_id"], GENERATION, key=key)
            assert replay.json() == first.json() and replay.headers["idempotent-replayed"] == "true"
            usage = client.get("/v1/usage", headers=bearer(token)).json()
            assert usage["rows_generated"] == 500, usage
    finally:
        worker.terminate()
        worker.wait(timeout=30)
