"""Another tenant's ids, on every route that takes one, answer exactly like ids that do not exist."""

from __future__ import annotations

import re
import uuid

import pytest
from starlette.testclient import TestClient

from simulacra.api.app import OPERATIONS
from simulacra.api.examples import EXAMPLES
from simulacra.infra.config import Settings
from simulacra.infra.credentials import CredentialStore
from simulacra.infra.scopes import Scope
from tests.flows import bearer, finished, generate

# Path parameters that are not tenant-scoped: error pages are public, signup ids are the requester's capability.
PUBLIC_PARAMS = {"code", "request_id"}


def _full_token(client: TestClient, settings: Settings, tenant: str) -> tuple[str, str]:
    store = CredentialStore.for_settings(settings)
    created, claim = store.create_client(tenant, 3600, tuple(Scope))
    secret = store.claim(claim).client_secret
    minted = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": created.client_id, "client_secret": secret},
    )
    return created.client_id, minted.json()["access_token"]


@pytest.fixture(scope="module")
def victim_ids(client: TestClient, settings: Settings, token: str, ready_dataset: str, worker: object) -> dict:
    """Real ids of tenant acme, one per kind of path parameter."""
    made = generate(client, token, ready_dataset, {"row_count": 50})
    assert made.status_code == 202, made.text
    finished(client, token, made.json()["job_id"], worker)
    effect = client.post(
        f"/v1/datasets/{ready_dataset}/effects",
        json={**EXAMPLES["EffectRequest"], "samples": 1000},
        headers=bearer(token, uuid.uuid4().hex),
    )
    assert effect.status_code == 202, effect.text
    finished(client, token, effect.json()["job_id"], worker)
    client_id, admin_token = _full_token(client, settings, "acme")
    rotation = client.post("/v1/credential-rotations", json={}, headers=bearer(admin_token, uuid.uuid4().hex))
    hook = client.post(
        "/v1/webhook-endpoints", json=EXAMPLES["WebhookEndpointCreate"], headers=bearer(admin_token, uuid.uuid4().hex)
    )
    return {
        "dataset_id": ready_dataset,
        "generation_id": made.json()["generation_id"],
        "job_id": made.json()["job_id"],
        "rotation_id": rotation.json()["rotation_id"],
        "effect_id": effect.json()["effect_id"],
        "client_id": client_id,
        "endpoint_id": hook.json()["endpoint_id"],
    }


def _call(client: TestClient, token: str, op, path: str):  # noqa: ANN001 (an api.operations.Operation)
    body = EXAMPLES.get(op.body.__name__) if op.body is not None and op.body_kind == "json" else None
    headers = bearer(token, uuid.uuid4().hex if op.needs_idempotency_key else None)
    return client.request(op.method, path, headers=headers, json=body)


@pytest.mark.parametrize(
    "op", [op for op in OPERATIONS if op.authenticated and "{" in op.path], ids=lambda o: o.operation_id
)
def test_cross_tenant_ids_are_indistinguishable_from_missing_ones(
    client: TestClient, settings: Settings, victim_ids: dict, op
) -> None:  # noqa: ANN001
    _, intruder = _full_token(client, settings, "intruder")
    params = set(re.findall(r"{(\w+)}", op.path)) - PUBLIC_PARAMS
    unknown = params - set(victim_ids)
    assert not unknown, f"add a real id for {unknown} to victim_ids, so {op.operation_id} is covered"
    theirs = op.path.format(**victim_ids)
    missing = op.path.format(**{name: f"{value[:-4]}0000" for name, value in victim_ids.items()})
    crossed, absent = _call(client, intruder, op, theirs), _call(client, intruder, op, missing)
    assert crossed.status_code == absent.status_code, (crossed.text, absent.text)
    assert crossed.status_code in (403, 404), crossed.text
    assert crossed.json()["code"] == absent.json()["code"]
    assert crossed.json()["title"] == absent.json()["title"]
    # And the owner really has it: the refusal is isolation, not a dead route.
    if op.method == "GET" and op.operation_id != "downloadArtifact":
        _, owner = _full_token(client, settings, "acme")
        assert client.get(theirs, headers=bearer(owner)).status_code == 200
