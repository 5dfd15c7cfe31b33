from __future__ import annotations

import uuid

from starlette.testclient import TestClient

from simulacra.infra.config import Settings
from tests.conftest import claim_token
from tests.flows import bearer


def test_read_only_token_cannot_write(client: TestClient, settings: Settings, ready_dataset: str) -> None:
    reader = claim_token(client, settings, "acme", scope="datasets:read")
    assert client.get(f"/v1/datasets/{ready_dataset}", headers=bearer(reader)).status_code == 200
    for response in (
        client.post("/v1/datasets", headers=bearer(reader, uuid.uuid4().hex), files={"file": ("a.csv", b"a\n1\n")}),
        client.delete(f"/v1/datasets/{ready_dataset}", headers=bearer(reader)),
        client.post(f"/v1/datasets/{ready_dataset}/generations", headers=bearer(reader, "k1"), json={"row_count": 5}),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "simio_insufficient_scope"
    assert client.get(f"/v1/datasets/{ready_dataset}", headers=bearer(reader)).status_code == 200
