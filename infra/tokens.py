"""The embedded OAuth2 issuer's RS256 signing key, token minting and the one JWT verifier."""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk, jwt
from jose.exceptions import JOSEError

from infra.credentials import Client
from infra.keyfiles import read_or_create

ALGORITHMS = ["RS256"]
# A token without expiry, issue time, issuer or audience is refused, not waved through.
VERIFY_OPTIONS = {"leeway": 30, "require_exp": True, "require_iat": True, "require_iss": True, "require_aud": True}
TENANT_CLAIM = "https://simulacra.dev/tenant"
TENANT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class InvalidToken(Exception):
    """Bearer token failed verification; the message is safe to show the client."""


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    client_id: str
    scopes: tuple[str, ...]


def _new_private_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


class Issuer:
    def __init__(self, keys_dir: Path, issuer: str, audience: str, ttl_seconds: int) -> None:
        self._pem = read_or_create(keys_dir / "issuer-rs256.pem", _new_private_key_pem)
        public = jwk.construct(self._pem, "RS256").public_key().to_dict()
        self.kid = hashlib.sha256(public["n"].encode()).hexdigest()[:16]
        self.public_jwk = {**public, "kid": self.kid, "use": "sig", "alg": "RS256"}
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk]}

    def mint(self, client: Client, scopes: tuple[str, ...]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": f"{client.client_id}@clients",
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl_seconds,
            "azp": client.client_id,
            "gty": "client-credentials",
            "scope": " ".join(scopes),
            TENANT_CLAIM: client.tenant_id,
        }
        return jwt.encode(claims, self._pem.decode(), algorithm="RS256", headers={"kid": self.kid})


def verify_token(token: str, jwks: dict[str, Any], *, issuer: str, audience: str) -> Principal:
    """The only place a JWT is verified: RS256 only, issuer and audience always checked."""
    try:
        claims = jwt.decode(
            token,
            jwks,
            algorithms=ALGORITHMS,
            audience=audience,
            issuer=issuer,
            options=VERIFY_OPTIONS,
        )
    except JOSEError as exc:
        raise InvalidToken(str(exc) or "token rejected") from None
    tenant = claims.get(TENANT_CLAIM)
    client_id = claims.get("azp") or claims.get("client_id")
    # Tenant ids reach storage keys, workflow ids and visibility queries: only the admin CLI's shape passes.
    if not isinstance(tenant, str) or not TENANT_PATTERN.match(tenant) or not isinstance(client_id, str):
        raise InvalidToken("token carries no valid tenant")
    return Principal(tenant, client_id, tuple(str(claims.get("scope", "")).split()))
