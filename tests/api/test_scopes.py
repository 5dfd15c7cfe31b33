from __future__ import annotations

import uuid

from starlette.testclient import TestClient

from infra.config import Settings
from infra.controldb import ControlDB
from infra.credentials import CredentialStore
from tests.flows import bearer


def _token_with(client: TestClient, settings: Settings, scope: str) -> str:
    _, claim = CredentialStore(ControlDB(settings.resolved_control_db)).create_client("acme", 3600)
    claimed = client.post(
        "/v1/credential-claims", json={"credential_claim_token": claim}, headers={"Idempotency-Key": uuid.uuid4().hex}
    ).json()
    minted = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": claimed["client_id"],
            "client_secret": claimed["client_secret"],
            "scope": scope,
        },
    ).json()
    assert minted["scope"] == scope
    return minted["access_token"]


def test_read_only_token_cannot_write(client: TestClient, settings: Settings, ready_dataset: str) -> None:
    reader = _token_with(client, settings, "datasets:read")
    assert client.get(f"/v1/datasets/{ready_dataset}", headers=bearer(reader)).status_code == 200
    for response in (
        client.post("/v1/datasets", headers=bearer(reader, uuid.uuid4().hex), files={"file": ("a.csv", b"a\n1\n")}),
        client.delete(f"/v1/datasets/{ready_dataset}", headers=bearer(reader)),
        client.post(f"/v1/datasets/{ready_dataset}/generations", headers=bearer(reader, "k1"), json={"row_count": 5}),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "simio_insufficient_scope"
    assert client.get(f"/v1/datasets/{ready_dataset}", headers=bearer(reader)).status_code == 200
