"""Secrets pass through the API but are stored nowhere: not in logs, idempotency records, audit entries or files."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from simulacra.infra.config import Settings
from simulacra.infra.control_tables import audit, idempotency
from simulacra.infra.controldb import ControlDB
from simulacra.infra.credentials import CredentialStore
from tests.flows import bearer
from tests.security.admin_cli import admin


def _post(client: TestClient, path: str, body: dict, token: str | None = None):
    headers = bearer(token, uuid.uuid4().hex) if token else {"Idempotency-Key": uuid.uuid4().hex}
    response = client.post(path, json=body, headers=headers)
    assert response.status_code in (201, 202), response.text
    return response.json()


def _mint(client: TestClient, claimed: dict) -> str:
    body = {"grant_type": "client_credentials", **{k: claimed[k] for k in ("client_id", "client_secret")}}
    return client.post("/oauth/token", data=body).json()["access_token"]


def test_secrets_are_never_written_down(client: TestClient, settings: Settings, capfd: pytest.CaptureFixture) -> None:
    secrets: list[str] = []
    _, claim_token = CredentialStore.for_settings(settings).create_client("leakcheck", 3600)
    claimed = _post(client, "/v1/credential-claims", {"credential_claim_token": claim_token})
    access = _mint(client, claimed)
    rotation = _post(client, "/v1/credential-rotations", {}, access)
    rotated = _post(client, "/v1/credential-claims", {"credential_claim_token": rotation["credential_claim_token"]})
    signup = _post(client, "/v1/signup", {"company": "Leak Check", "contact_email": "a@leak.example"})
    admin(settings, "approve-signup", signup["request_id"])
    signup_token = client.get(f"/v1/signup/{signup['request_id']}").json()["credential_claim_token"]
    signed_up = _post(client, "/v1/credential-claims", {"credential_claim_token": signup_token})
    secrets += [claim_token, claimed["client_secret"], access, rotation["credential_claim_token"]]
    secrets += [rotated["client_secret"], _mint(client, rotated), signup_token, signed_up["client_secret"]]
    hook = _post(
        client, "/v1/webhook-endpoints", {"url": "https://hooks.leak.example/", "event_types": ["job.failed"]}, access
    )
    rotate = f"/v1/webhook-endpoints/{hook['endpoint_id']}/rotate-secret"
    rotated_hook = client.post(rotate, headers=bearer(access, uuid.uuid4().hex)).json()
    secrets += [hook["secret"], rotated_hook["secret"]]
    # The token also arrives in a header on every request: a refused one must not be echoed into the logs either.
    client.get("/v1/usage", headers=bearer(access + "x"))

    logs = capfd.readouterr()
    written = {"api logs": logs.out + logs.err}
    with ControlDB(settings.resolved_control_db).connect() as conn:
        written["idempotency records"] = repr(conn.execute(select(idempotency)).all())
        written["audit entries"] = repr(conn.execute(select(audit)).all())
    files = [settings.resolved_control_db, *settings.resolved_control_db.parent.glob("control.sqlite3-wal")]
    files += [settings.data_dir / "worker.log"]
    for path in files:
        if path.exists():
            written[str(path)] = path.read_bytes().decode("latin-1")
    assert "request" in written["api logs"] and "credentials_claimed" in written["audit entries"]
    for secret in secrets:
        for where, text in written.items():
            assert secret not in text, f"a secret ({secret[:8]}...) was written to {where}"
