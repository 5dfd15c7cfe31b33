from __future__ import annotations

import os
import uuid

from jose import jwt
from starlette.testclient import TestClient

from simulacra.infra.config import Settings
from simulacra.infra.controldb import ControlDB
from simulacra.infra.credentials import Client, CredentialStore
from simulacra.infra.key_provider import LocalKeyProvider
from simulacra.infra.signing_keys import SigningKeyRing
from simulacra.infra.tokens import Issuer
from tests.flows import bearer


def _claim(client: TestClient, token: str):
    return client.post(
        "/v1/credential-claims", json={"credential_claim_token": token}, headers={"Idempotency-Key": uuid.uuid4().hex}
    )


def test_missing_token_is_a_problem_with_request_id(client: TestClient) -> None:
    response = client.get("/v1/jobs/job_ds_x")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "simio_unauthorized"
    assert body["request_id"] == response.headers["x-request-id"]
    assert body["type"].endswith("/errors/simio_unauthorized")


def test_garbage_and_foreign_tokens_are_refused(client: TestClient, settings: Settings, tmp_path) -> None:
    assert client.get("/v1/jobs/job_ds_x", headers=bearer("not-a-jwt")).json()["code"] == "simio_unauthorized"
    # A well-formed RS256 token from another key, even with our issuer and audience, must fail.
    ring = SigningKeyRing(ControlDB(tmp_path / "c.sqlite3"), LocalKeyProvider(os.urandom(32)), tmp_path, 60)
    stranger = Issuer(ring, settings.issuer, settings.auth_audience, 60)
    forged = stranger.mint(Client("cl_evil", "acme", ("datasets:read",)), ("datasets:read",))
    assert client.get("/v1/jobs/job_ds_x", headers=bearer(forged)).status_code == 401


def test_hs256_token_signed_with_public_key_is_refused(client: TestClient) -> None:
    jwks = client.get("/.well-known/jwks.json").json()
    forged = jwt.encode({"sub": "x", "https://simulacra.dev/tenant": "acme"}, jwks["keys"][0]["n"], algorithm="HS256")
    assert client.get("/v1/jobs/job_ds_x", headers=bearer(forged)).status_code == 401


def test_token_verifies_against_published_jwks(client: TestClient, settings: Settings, token: str) -> None:
    jwks = client.get("/.well-known/jwks.json").json()
    claims = jwt.decode(token, jwks, algorithms=["RS256"], audience=settings.auth_audience, issuer=settings.issuer)
    assert claims["https://simulacra.dev/tenant"] == "acme"
    assert claims["gty"] == "client-credentials"


def test_claim_token_is_one_time(client: TestClient, settings: Settings) -> None:
    _, claim_token = CredentialStore.for_settings(settings).create_client("initech", 3600)
    first = _claim(client, claim_token)
    assert first.status_code == 201
    assert set(first.json()) >= {"client_id", "client_secret", "token_url", "audience", "scopes"}
    second = _claim(client, claim_token)
    assert second.status_code == 404
    assert second.json()["code"] == "simio_credential_claim_not_found"


def test_token_endpoint_accepts_json_and_basic_and_refuses_bad_secret(client: TestClient, settings: Settings) -> None:
    _, claim_token = CredentialStore.for_settings(settings).create_client("hooli", 3600)
    claimed = _claim(client, claim_token).json()
    by_json = client.post(
        "/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": claimed["client_id"],
            "client_secret": claimed["client_secret"],
        },
    )
    assert by_json.status_code == 200
    assert by_json.json()["token_type"] == "Bearer" and by_json.json()["expires_in"] > 0
    by_basic = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(claimed["client_id"], claimed["client_secret"])
    )
    assert by_basic.status_code == 200
    wrong = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": claimed["client_id"], "client_secret": "nope"},
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    grant = client.post("/oauth/token", data={"grant_type": "password"})
    assert grant.json()["code"] == "simio_unsupported_grant_type"


def test_unknown_route_is_a_problem(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "simio_not_found"
