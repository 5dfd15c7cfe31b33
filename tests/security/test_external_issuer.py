"""External issuer mode (an Auth0 tenant): tokens verified against the issuer's JWKS over HTTP, cached."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from jose import jwk, jwt
from starlette.testclient import TestClient

from simulacra.api.app import create_app
from simulacra.infra.config import Settings
from simulacra.infra.jwks import KeysUnavailable, RemoteJwks
from simulacra.infra.signing_keys import new_private_key_pem
from tests.flows import bearer

ISSUER = "https://acme-test.eu.auth0.com/"
AUDIENCE = "https://simulacra.acme.example"


class FakeAuth0:
    """Serves a JWKS over real HTTP and signs tokens the way an Auth0 tenant does; counts fetches."""

    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}
        self.fetches = 0
        self.roll()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                provider.fetches += 1
                body = json.dumps(provider.jwks()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def roll(self) -> str:
        kid = f"auth0-key-{len(self.keys) + 1}"
        self.keys = {kid: new_private_key_pem()}  # Auth0 drops the old key after a revoke-style rotation
        return kid

    def jwks(self) -> dict[str, Any]:
        return {
            "keys": [
                {**jwk.construct(pem, "RS256").public_key().to_dict(), "kid": kid, "use": "sig", "alg": "RS256"}
                for kid, pem in self.keys.items()
            ]
        }

    def token(self, **claims: Any) -> str:
        kid, pem = next(iter(self.keys.items()))
        now = int(time.time())
        body = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600, "sub": "m2m@clients", **claims}
        return jwt.encode(body, pem.decode(), algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def auth0() -> Iterator[FakeAuth0]:
    provider = FakeAuth0()
    yield provider
    provider.server.shutdown()


def test_api_in_external_mode_accepts_auth0_tokens_and_refuses_its_own(auth0: FakeAuth0, settings: Settings) -> None:
    external = settings.with_overrides(auth_issuer=ISSUER, auth_jwks_url=auth0.url, auth_audience=AUDIENCE)
    with TestClient(create_app(external), base_url=settings.base_url) as client:
        tenant = {"https://simulacra.dev/tenant": "acme"}
        # Both Auth0 access-token profiles: `azp` + `scope`, and `client_id` + RBAC `permissions` + list audience.
        azp_profile = auth0.token(azp="auth0-client", scope="datasets:read", gty="client-credentials", **tenant)
        client_id_profile = auth0.token(
            client_id="auth0-client", permissions=["datasets:read"], aud=[AUDIENCE, ISSUER + "userinfo"], **tenant
        )
        for token in (azp_profile, client_id_profile):
            assert client.get("/v1/usage", headers=bearer(token)).status_code == 200
        wrong_issuer = jwt.encode(
            jwt.get_unverified_claims(azp_profile) | {"iss": "https://evil.auth0.com/"},
            next(iter(auth0.keys.values())).decode(),
            algorithm="RS256",
            headers={"kid": next(iter(auth0.keys))},
        )
        assert client.get("/v1/usage", headers=bearer(wrong_issuer)).status_code == 401
        # The embedded issuer stands down: no tokens minted here, discovery points at the external issuer.
        minted = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "x"})
        assert minted.status_code == 401 and ISSUER in minted.json()["detail"]
        discovery = client.get("/.well-known/openid-configuration").json()
        assert discovery["issuer"] == ISSUER and discovery["jwks_uri"] == auth0.url


def test_unknown_kid_refreshes_the_cached_jwks_once(auth0: FakeAuth0) -> None:
    cache = RemoteJwks(auth0.url, min_refresh_seconds=0)
    first = next(iter(auth0.keys))
    assert cache.key_for(first) is not None and auth0.fetches == 1
    assert cache.key_for(first) is not None and auth0.fetches == 1  # served from the cache
    rolled = auth0.roll()
    assert cache.key_for(rolled) is not None
    assert auth0.fetches == 2


def test_made_up_kids_cannot_turn_the_api_into_a_jwks_fetcher(auth0: FakeAuth0) -> None:
    cache = RemoteJwks(auth0.url, min_refresh_seconds=30)
    for n in range(50):
        assert cache.key_for(f"made-up-{n}") is None
    assert auth0.fetches == 1


def test_a_provider_outage_keeps_the_keys_already_known(auth0: FakeAuth0) -> None:
    cache = RemoteJwks(auth0.url, max_age_seconds=0, min_refresh_seconds=0)
    kid = next(iter(auth0.keys))
    assert cache.key_for(kid) is not None
    auth0.server.shutdown()
    auth0.server.server_close()
    assert cache.key_for(kid) is not None
    # A key it never saw is an outage to retry (503), not a forged token (401).
    with pytest.raises(KeysUnavailable):
        cache.key_for("rolled-during-the-outage")
