"""Scopes are declared once (infra/scopes.py); OpenAPI, the token endpoint and every text that lists them agree."""

from __future__ import annotations

from pathlib import Path

import httpx
from jose import jwt
from starlette.testclient import TestClient

from simulacra.api.errors import REGISTRY
from simulacra.infra.config import Settings
from simulacra.infra.credentials import CredentialStore
from simulacra.infra.scopes import DEFAULT_SCOPES, Scope

ROOT = Path(__file__).resolve().parents[2]


def _mint(client: TestClient, settings: Settings, scope: str) -> httpx.Response:
    """Ask for `scope` as a client granted every declared scope."""
    store = CredentialStore.for_settings(settings)
    created, claim = store.create_client("scoped", 3600, tuple(Scope))
    secret = store.claim(claim).client_secret
    form = {"grant_type": "client_credentials", "client_id": created.client_id, "client_secret": secret}
    return client.post("/oauth/token", data={**form, "scope": scope})


def test_openapi_offers_exactly_the_declared_scopes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    offered = spec["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["scopes"]
    assert list(offered) == [scope.value for scope in Scope]
    operations = [op for path in spec["paths"].values() for op in path.values()]
    assert {scope for op in operations for way in op["security"] for scope in way["oauth2"]} == set(offered)


def test_token_endpoint_grants_each_declared_scope_and_nothing_else(client: TestClient, settings: Settings) -> None:
    for scope in Scope:
        minted = _mint(client, settings, scope)
        assert minted.status_code == 200 and minted.json()["scope"] == scope
    refused = _mint(client, settings, "datasets:delete")
    assert refused.status_code == 400 and refused.json()["code"] == "simio_invalid_scope"
    assert all(scope in refused.json()["detail"] for scope in Scope)


def test_a_default_client_gets_every_scope_but_admin(token: str) -> None:
    assert jwt.get_unverified_claims(token)["scope"].split() == list(DEFAULT_SCOPES)
    assert Scope.ADMIN not in DEFAULT_SCOPES


def test_texts_that_list_the_scopes_name_every_one(client: TestClient) -> None:
    manual = client.get("/llms-full.txt").text
    guides = [(ROOT / "docs" / page).read_text() for page in ("security.md", "api-guide.md")]
    for scope in Scope:
        assert scope in REGISTRY["simio_insufficient_scope"].cause
        assert f"`{scope}`: {scope.description}" in manual
        assert all(f"`{scope}`" in guide for guide in guides), scope
