from __future__ import annotations

from starlette.testclient import TestClient

from api.app import create_app
from infra.config import Settings
from tests.flows import bearer


def test_tenant_over_its_rate_gets_429_with_retry_after(settings: Settings, token: str, other_token: str) -> None:
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
