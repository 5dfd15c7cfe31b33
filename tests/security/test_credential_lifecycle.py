"""Signup -> approval -> claim; rotation with overlap; revocation; the admin audit endpoint."""

from __future__ import annotations

import json
import uuid

import pytest
from starlette.testclient import TestClient

from simulacra.api.app import create_app
from simulacra.infra.config import Settings
from simulacra.infra.credentials import CredentialStore
from simulacra.infra.scopes import Scope
from tests.flows import bearer
from tests.security.admin_cli import admin


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def _claim(client: TestClient, claim_token: str):
    return client.post("/v1/credential-claims", json={"credential_claim_token": claim_token}, headers=_key())


def _mint(client: TestClient, client_id: str, secret: str):
    return client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    )


def _new_client(client: TestClient, settings: Settings, tenant: str, *scopes: str) -> dict:
    store = CredentialStore.for_settings(settings)
    _, claim_token = store.create_client(tenant, 3600, scopes or ("datasets:read", "generations:read"))
    claimed = _claim(client, claim_token).json()
    claimed["token"] = _mint(client, claimed["client_id"], claimed["client_secret"]).json()["access_token"]
    return claimed


def _rotate(client: TestClient, token: str, key: str | None = None, **body: str):
    return client.post("/v1/credential-rotations", json=body, headers=bearer(token, key or uuid.uuid4().hex))


def test_self_service_signup_to_first_token(client: TestClient, settings: Settings) -> None:
    submitted = client.post(
        "/v1/signup", json={"company": "Umbrella Research Ltd", "contact_email": "ops@umbrella.example"}, headers=_key()
    )
    assert submitted.status_code == 202, submitted.text
    request_id = submitted.json()["request_id"]
    assert submitted.json()["status"] == "pending" and submitted.headers["location"] == f"/v1/signup/{request_id}"
    assert client.get(f"/v1/signup/{request_id}").json()["credential_claim_token"] is None

    listed = [json.loads(line) for line in admin(settings, "signups", "--status", "pending").splitlines()]
    assert request_id in {s["request_id"] for s in listed}
    assert "approved as tenant umbrella-research-ltd" in admin(settings, "approve-signup", request_id)

    approved = client.get(f"/v1/signup/{request_id}").json()
    assert approved["status"] == "approved" and approved["tenant"] == "umbrella-research-ltd"
    claimed = _claim(client, approved["credential_claim_token"])
    assert claimed.status_code == 201 and Scope.ADMIN in claimed.json()["scopes"]
    after = client.get(f"/v1/signup/{request_id}").json()
    assert after["status"] == "claimed" and after["credential_claim_token"] is None
    assert _claim(client, approved["credential_claim_token"]).json()["code"] == "simio_credential_claim_not_found"

    token = _mint(client, claimed.json()["client_id"], claimed.json()["client_secret"]).json()["access_token"]
    events = client.get("/v1/audit", headers=bearer(token)).json()["data"]
    assert [e["action"] for e in events] == ["signup_approved", "credentials_claimed"]
    assert events[0]["actor"].startswith("operator:")


def test_approving_into_an_existing_tenant_needs_saying_so(client: TestClient, settings: Settings) -> None:
    _new_client(client, settings, "occupied")
    request_id = client.post(
        "/v1/signup", json={"company": "Occupied", "contact_email": "x@occupied.example"}, headers=_key()
    ).json()["request_id"]
    with pytest.raises(SystemExit, match="already has clients"):
        admin(settings, "approve-signup", request_id, "--tenant", "occupied")
    assert client.get(f"/v1/signup/{request_id}").json()["status"] == "pending"
    assert "as tenant occupied" in admin(
        settings, "approve-signup", request_id, "--tenant", "occupied", "--existing-tenant"
    )


def test_rejected_and_unknown_signups(client: TestClient, settings: Settings) -> None:
    request_id = client.post(
        "/v1/signup", json={"company": "Spam Inc", "contact_email": "x@spam.example"}, headers=_key()
    ).json()["request_id"]
    admin(settings, "reject-signup", request_id, "--reason", "not a research company")
    rejected = client.get(f"/v1/signup/{request_id}").json()
    assert rejected["status"] == "rejected" and rejected["reason"] == "not a research company"
    missing = client.get("/v1/signup/sgn_00000000000000000000000000000000")
    assert missing.status_code == 404 and missing.json()["code"] == "simio_signup_not_found"
    bad = client.post("/v1/signup", json={"company": "X", "contact_email": "not-an-email"}, headers=_key())
    assert bad.status_code == 400 and bad.json()["errors"][0]["pointer"] == "/contact_email"


def test_rotation_overlap_then_refusal(client: TestClient, settings: Settings) -> None:
    old = _new_client(client, settings, "rotator")
    key = uuid.uuid4().hex
    rotation = _rotate(client, old["token"], key)
    assert rotation.status_code == 201, rotation.text
    claim_token = rotation.json()["credential_claim_token"]
    assert claim_token.startswith("sct_") and rotation.json()["previous_secret_overlap_seconds"] == 3600
    # Same key, not yet redeemed: the same rotation and token again (derived, never stored).
    replay = _rotate(client, old["token"], key)
    assert replay.json() == rotation.json() and replay.headers["idempotent-replayed"] == "true"

    new = _claim(client, claim_token).json()
    assert new["client_id"] == old["client_id"] and new["client_secret"] != old["client_secret"]
    # Within the overlap both secrets mint tokens.
    assert _mint(client, old["client_id"], old["client_secret"]).status_code == 200
    assert _mint(client, new["client_id"], new["client_secret"]).status_code == 200
    # A redeemed rotation token is gone for good: 410 at the claim endpoint and on a replayed request.
    assert _claim(client, claim_token).status_code == 410
    replayed = _rotate(client, old["token"], key)
    assert replayed.status_code == 410 and replayed.json()["code"] == "simio_rotation_claim_already_consumed"
    status = client.get(f"/v1/credential-rotations/{rotation.json()['rotation_id']}", headers=bearer(old["token"]))
    assert status.json()["status"] == "claimed" and status.json()["credential_claim_token"] is None


def test_old_secret_is_refused_after_the_overlap(settings: Settings) -> None:
    no_overlap = settings.with_overrides(credential_overlap_seconds=0)
    with TestClient(create_app(no_overlap), base_url=settings.base_url) as client:
        old = _new_client(client, no_overlap, "rotator-strict")
        new = _claim(client, _rotate(client, old["token"]).json()["credential_claim_token"]).json()
        refused = _mint(client, old["client_id"], old["client_secret"])
        assert refused.status_code == 401 and refused.json()["code"] == "simio_invalid_client"
        assert _mint(client, new["client_id"], new["client_secret"]).status_code == 200


def test_rotation_rate_limit_and_key_reuse(client: TestClient, settings: Settings) -> None:
    caller = _new_client(client, settings, "rotator-busy")
    assert all(_rotate(client, caller["token"]).status_code == 201 for _ in range(settings.rotations_per_hour))
    limited = _rotate(client, caller["token"])
    assert limited.status_code == 429 and limited.json()["code"] == "simio_rotation_rate_limited"
    assert 0 < int(limited.headers["retry-after"]) <= 3600
    other = _new_client(client, settings, "rotator-busy")
    key = uuid.uuid4().hex
    assert _rotate(client, other["token"], key).status_code == 201
    conflict = _rotate(client, other["token"], key, client_id=caller["client_id"])
    # Rotating another client needs admin before the key is even looked at.
    assert conflict.status_code == 403 and conflict.json()["code"] == "simio_insufficient_scope"


def test_admin_rotates_and_revokes_within_its_tenant_only(client: TestClient, settings: Settings) -> None:
    boss = _new_client(client, settings, "initrode", "datasets:read", Scope.ADMIN)
    worker = _new_client(client, settings, "initrode")
    stranger = _new_client(client, settings, "vandelay", "datasets:read", Scope.ADMIN)
    assert _rotate(client, boss["token"], client_id=worker["client_id"]).status_code == 201
    crossed = _rotate(client, stranger["token"], client_id=worker["client_id"])
    assert crossed.status_code == 404 and crossed.json()["code"] == "simio_client_not_found"
    revoke = client.delete(f"/v1/clients/{worker['client_id']}", headers=bearer(stranger["token"]))
    assert revoke.status_code == 404 and revoke.json()["code"] == "simio_client_not_found"
    no_admin = client.delete(f"/v1/clients/{boss['client_id']}", headers=bearer(worker["token"]))
    assert no_admin.status_code == 403
    assert client.delete(f"/v1/clients/{worker['client_id']}", headers=bearer(boss["token"])).status_code == 204
    # Immediate: the token it already holds and its secret both stop working.
    assert client.get("/v1/usage", headers=bearer(worker["token"])).status_code == 401
    assert _mint(client, worker["client_id"], worker["client_secret"]).status_code == 401
    events = client.get("/v1/audit", headers=bearer(boss["token"]), params={"action": "client_revoked"}).json()
    assert [(e["outcome"], e["detail"]["client_id"]) for e in events["data"]] == [("ok", worker["client_id"])]
    # The stranger's attempt is on its own tenant's trail, refused; it never shows on initrode's.
    theirs = client.get("/v1/audit", headers=bearer(stranger["token"]), params={"action": "client_revoked"}).json()
    assert [(e["tenant"], e["outcome"]) for e in theirs["data"]] == [("vandelay", "not_found")]


def test_audit_endpoint_pages_filters_and_needs_admin(client: TestClient, settings: Settings) -> None:
    boss = _new_client(client, settings, "paged", "datasets:read", Scope.ADMIN)
    for _ in range(3):
        _rotate(client, boss["token"])
    first = client.get("/v1/audit", headers=bearer(boss["token"]), params={"limit": 2}).json()
    second = client.get(
        "/v1/audit", headers=bearer(boss["token"]), params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    actions = [e["action"] for e in first["data"] + second["data"]]
    assert actions[:2] == ["credentials_claimed", "credentials_rotation_requested"] and len(actions) == 4
    assert client.get("/v1/audit", headers=bearer(boss["token"]), params={"since": "2999-01-01"}).json()["data"] == []
    bad = client.get("/v1/audit", headers=bearer(boss["token"]), params={"since": "yesterday"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["pointer"] == "/since"
    plain = _new_client(client, settings, "paged")
    assert client.get("/v1/audit", headers=bearer(plain["token"])).status_code == 403
