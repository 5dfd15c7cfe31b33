"""Token forging kit for the attack tests: tokens signed with our own key but with chosen claims and headers."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from jose import jwt

from simulacra.infra.config import Settings
from simulacra.infra.controldb import ControlDB
from simulacra.infra.credentials import CredentialStore
from simulacra.infra.tokens import TENANT_CLAIM, Issuer


def real_client(settings: Settings, tenant: str) -> str:
    """A live client of the tenant: embedded mode refuses tokens of clients it does not know (or revoked)."""
    store = CredentialStore.for_settings(settings)
    client, claim = store.create_client(tenant, 3600)
    store.claim(claim)
    return client.client_id


def claims(settings: Settings, client: str, tenant: str = "acme", **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": settings.issuer,
        "aud": settings.auth_audience,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "azp": client,
        "scope": "datasets:read generations:read",
        TENANT_CLAIM: tenant,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def signed(settings: Settings, body: dict[str, Any], kid: str | None = None) -> str:
    """Signed with the embedded issuer's real active key: only the claims (or the kid) are wrong."""
    key = Issuer.for_settings(settings, ControlDB(settings.resolved_control_db)).keys.active
    return jwt.encode(body, key.private_pem.decode(), algorithm="RS256", headers={"kid": kid or key.kid})


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def unsigned(body: dict[str, Any], kid: str) -> str:
    """`alg: none`, the oldest JWT attack."""
    return f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{b64(body)}."


def tampered(token: str, body: dict[str, Any]) -> str:
    """A real signature over different claims."""
    header, _, signature = token.split(".")
    return f"{header}.{b64(body)}.{signature}"
