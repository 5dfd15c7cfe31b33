"""Every forged, stale or misaddressed token is refused with 401 simio_unauthorized (and nothing more)."""

from __future__ import annotations

import time

import pytest
from jose import jwt
from prometheus_client import REGISTRY
from starlette.testclient import TestClient

from simulacra.infra.config import Settings
from simulacra.infra.credentials import CredentialStore
from tests.flows import bearer
from tests.security import forge

# A cheap authenticated read that needs no Temporal: the tenant's usage.
PROBE = "/v1/usage"


@pytest.fixture(scope="module")
def cid(settings: Settings) -> str:
    return forge.real_client(settings, "acme")


def _auth_failures(reason: str) -> float:
    """The in-process app's counter (this process's registry), as its /metrics listener would serve it."""
    return REGISTRY.get_sample_value("simulacra_api_auth_failures_total", {"reason": reason}) or 0.0


def _refused(client: TestClient, token: str) -> str:
    response = client.get(PROBE, headers=bearer(token))
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["code"] == "simio_unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")
    return body["detail"]


def test_a_correctly_forged_token_is_accepted_so_the_refusals_below_mean_something(
    client: TestClient, settings: Settings, cid: str
) -> None:
    assert client.get(PROBE, headers=bearer(forge.signed(settings, forge.claims(settings, cid)))).status_code == 200


def test_alg_none_is_refused(client: TestClient, settings: Settings, cid: str) -> None:
    kid = client.get("/.well-known/jwks.json").json()["keys"][0]["kid"]
    before = _auth_failures("algorithm")
    assert "algorithm" in _refused(client, forge.unsigned(forge.claims(settings, cid), kid))
    assert _auth_failures("algorithm") == before + 1


def test_hs256_signed_with_the_public_key_is_refused(client: TestClient, settings: Settings, cid: str) -> None:
    jwk = client.get("/.well-known/jwks.json").json()["keys"][0]
    for secret in (jwk["n"], str(jwk)):
        token = jwt.encode(forge.claims(settings, cid), secret, algorithm="HS256", headers={"kid": jwk["kid"]})
        assert "algorithm" in _refused(client, token)


def test_unknown_kid_is_refused(client: TestClient, settings: Settings, cid: str) -> None:
    before = _auth_failures("unknown_key")
    assert "kid" in _refused(client, forge.signed(settings, forge.claims(settings, cid), kid="not-our-key"))
    assert _auth_failures("unknown_key") == before + 1


@pytest.mark.parametrize(
    ("overrides", "why", "reason"),
    [
        ({"exp": int(time.time()) - 120}, "expired", "expired"),
        ({"nbf": int(time.time()) + 600}, "not yet valid", "bad_claims"),
        ({"iat": int(time.time()) + 600}, "issued in the future", "bad_claims"),
        ({"iss": "https://evil.example/"}, "wrong issuer", "wrong_issuer"),
        ({"aud": "https://other-api.example"}, "wrong audience", "wrong_audience"),
        (
            {"aud": ["https://other-api.example", "https://third.example"]},
            "audience list without ours",
            "wrong_audience",
        ),
        ({"exp": None}, "no expiry", "bad_claims"),
        ({"iat": None}, "no issue time", "bad_claims"),
        ({"aud": None}, "no audience", "bad_claims"),
        ({"iat": "1700000000"}, "issue time as a string", "bad_claims"),
        ({"iat": [1700000000]}, "issue time as a list", "bad_claims"),
        ({"https://simulacra.dev/tenant": None}, "no tenant", "no_tenant"),
        ({"https://simulacra.dev/tenant": "../acme"}, "tenant that is not a tenant id", "no_tenant"),
        ({"azp": None}, "no client", "no_tenant"),
    ],
)
def test_bad_claims_are_refused(
    client: TestClient, settings: Settings, cid: str, overrides: dict, why: str, reason: str
) -> None:
    # Counted by reason for operators (simulacra_api_auth_failures_total), never told to the caller.
    before = _auth_failures(reason)
    _refused(client, forge.signed(settings, forge.claims(settings, cid, **overrides)))
    assert _auth_failures(reason) == before + 1


def test_small_clock_skew_is_tolerated(client: TestClient, settings: Settings, cid: str) -> None:
    skewed = forge.claims(settings, cid, exp=int(time.time()) - 10, nbf=int(time.time()) + 10)
    assert client.get(PROBE, headers=bearer(forge.signed(settings, skewed))).status_code == 200


def test_tampered_payload_is_refused(client: TestClient, settings: Settings, cid: str) -> None:
    genuine = forge.signed(settings, forge.claims(settings, cid, tenant="acme"))
    before = _auth_failures("bad_signature")
    _refused(client, forge.tampered(genuine, forge.claims(settings, cid, tenant="globex")))
    _refused(client, forge.tampered(genuine, forge.claims(settings, cid, scope="datasets:write admin")))
    assert _auth_failures("bad_signature") == before + 2


def test_auth0_profiles_are_both_accepted(client: TestClient, settings: Settings, cid: str) -> None:
    """`azp` or `client_id`; `aud` as a string or a list; scopes as `scope` or RBAC `permissions`."""
    list_aud = forge.claims(settings, cid, aud=[settings.auth_audience, "https://tenant.auth0.com/userinfo"])
    client_id_profile = forge.claims(settings, cid, azp=None, client_id=cid, scope=None, permissions=["datasets:read"])
    for body in (list_aud, client_id_profile):
        assert client.get(PROBE, headers=bearer(forge.signed(settings, body))).status_code == 200


def test_missing_scope_is_403_with_the_needed_scope(client: TestClient, settings: Settings, cid: str) -> None:
    token = forge.signed(settings, forge.claims(settings, cid, scope="datasets:read"))
    response = client.post("/v1/datasets", headers=bearer(token, "scope-probe"), files={"file": ("a.csv", b"a\n1\n")})
    assert response.status_code == 403
    assert response.json()["code"] == "simio_insufficient_scope"
    assert 'scope="datasets:write"' in response.headers["www-authenticate"]


def test_unknown_and_revoked_clients_are_refused_at_once(client: TestClient, settings: Settings, cid: str) -> None:
    assert "revoked" in _refused(client, forge.signed(settings, forge.claims(settings, "cl_never_created")))
    revokee = forge.real_client(settings, "revokee")
    token = forge.signed(settings, forge.claims(settings, revokee, tenant="revokee"))
    assert client.get(PROBE, headers=bearer(token)).status_code == 200
    assert CredentialStore.for_settings(settings).revoke("revokee", revokee)
    assert "revoked" in _refused(client, token)
