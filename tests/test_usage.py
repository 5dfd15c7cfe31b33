"""Metering over the real flow: generated rows are billed, the window is enforced, the audit log records."""

from __future__ import annotations

import json
import subprocess
import sys

from starlette.testclient import TestClient

from simulacra.infra.config import Settings
from simulacra.infra.controldb import ControlDB
from simulacra.infra.usage import UsageLedger
from tests.conftest import claim_token
from tests.flows import bearer, finished, generate, upload
from tests.test_retention import SMALL


def test_generated_rows_are_metered_against_the_window(client: TestClient, settings: Settings, worker: object) -> None:
    token = claim_token(client, settings, "metered")
    UsageLedger(ControlDB(settings.resolved_control_db)).set_window("metered", 100)
    dataset = upload(client, token, SMALL, "small.csv").json()
    assert finished(client, token, dataset["job_id"], worker)["status"] == "ready"

    job = finished(
        client, token, generate(client, token, dataset["dataset_id"], {"row_count": 60}).json()["job_id"], worker
    )
    assert job["rows_generated"] == 60
    usage = client.get("/v1/usage", headers=bearer(token)).json()
    assert (usage["rows_generated"], usage["rows_reserved"], usage["rows_remaining"]) == (60, 0, 40)
    assert usage["free_rows_remaining"] == 20_000 - 60

    refused = generate(client, token, dataset["dataset_id"], {"row_count": 41})
    assert refused.status_code == 402 and refused.json()["code"] == "simio_row_quota_exceeded"
    assert client.get("/v1/usage", headers=bearer(token)).json()["rows_generated"] == 60


def test_operator_actions_are_audited_without_secrets(client: TestClient, settings: Settings, token: str) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulacra.infra.cli",
            "admin",
            "audit",
            "--tenant",
            "acme",
            "--data-dir",
            str(settings.data_dir),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    entries = [json.loads(line) for line in run.stdout.splitlines()]
    actions = {entry["action"] for entry in entries}
    assert {"credentials_claimed"} <= actions
    claimed = next(e for e in entries if e["action"] == "credentials_claimed")
    assert claimed["actor"].startswith("client:") and claimed["request_id"]
