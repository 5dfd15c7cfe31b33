from __future__ import annotations

from starlette.testclient import TestClient

from simulacra.api.app import create_app
from simulacra.infra.config import Settings
from tests.conftest import claim_token
from tests.flows import bearer


def test_tenant_over_its_rate_gets_429_with_retry_after(client: TestClient, settings: Settings) -> None:
    # Tenants of their own: the limits live in the session's control database, shared by every app.
    token, other_token = claim_token(client, settings, "limited-a"), claim_token(client, settings, "limited-b")
    limited = settings.with_overrides(rate_limit_per_minute=3)
    with TestClient(create_app(limited), base_url=limited.base_url) as client:
        answers = [client.get("/v1/usage", headers=bearer(token)) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[0].headers["ratelimit-limit"] == "3"
        assert answers[2].headers["ratelimit-remaining"] == "0"
        refused = answers[3]
        assert refused.json()["code"] == "simio_rate_limited" and refused.json()["retryable"] is True
        assert int(refused.headers["retry-after"]) >= 1
        # Limits are per tenant: another tenant is unaffected.
        assert client.get("/v1/usage", headers=bearer(other_token)).status_code == 200


def test_anonymous_endpoints_are_limited_per_address(settings: Settings) -> None:
    """Guessing secrets costs scrypt and every refused claim is audited: strangers get a bucket, not a free run."""
    limited = settings.with_overrides(rate_limit_per_minute=3)
    # An address of its own: the limits live in the session's control database, shared by every app.
    with TestClient(create_app(limited), base_url=limited.base_url, client=("192.0.2.7", 50000)) as client:
        guesses = [
            client.post(
                "/oauth/token", data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}
            ),
            client.post(
                "/v1/credential-claims", json={"credential_claim_token": "sct_x"}, headers={"Idempotency-Key": "a"}
            ),
            client.post(
                "/v1/signup", json={"company": "X", "contact_email": "a@b.example"}, headers={"Idempotency-Key": "b"}
            ),
            client.post(
                "/oauth/token", data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}
            ),
        ]
        assert [g.status_code for g in guesses] == [401, 404, 202, 429]
        assert guesses[3].json()["code"] == "simio_rate_limited"
