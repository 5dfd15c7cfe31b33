"""Access tokens: the embedded issuer's minting, and the one verifier for embedded and external (Auth0) tokens."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Protocol

from jose import jwt
from jose.exceptions import ExpiredSignatureError, JOSEError, JWTClaimsError

from simulacra.infra.config import Settings
from simulacra.infra.controldb import ControlDB
from simulacra.infra.credentials import Client
from simulacra.infra.key_provider import load_key_provider
from simulacra.infra.signing_keys import SigningKeyRing

# The algorithm allow-list: never taken from the token, so `none` and HS256-with-the-public-key fail.
ALGORITHMS = ["RS256"]
LEEWAY_SECONDS = 30
# A token without expiry, issue time, issuer or audience is refused, not waved through.
VERIFY_OPTIONS = {
    "leeway": LEEWAY_SECONDS,
    "require_exp": True,
    "require_iat": True,
    "require_iss": True,
    "require_aud": True,
}
TENANT_CLAIM = "https://simulacra.dev/tenant"
TENANT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


# Why a token is refused, as operators count it (simulacra_api_auth_failures_total's `reason`): a fixed list.
TOKEN_REJECTIONS = (
    "malformed",
    "algorithm",
    "unknown_key",
    "bad_signature",
    "expired",
    "wrong_audience",
    "wrong_issuer",
    "bad_claims",
    "no_tenant",
    "revoked",
)


class InvalidToken(Exception):
    """Bearer token failed verification; the message is safe to show the client, the reason is one of
    TOKEN_REJECTIONS."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _rejection(exc: Exception) -> str:
    """python-jose says why only in its exception's class and wording."""
    text = str(exc).lower()
    if isinstance(exc, ExpiredSignatureError):
        return "expired"
    if isinstance(exc, JWTClaimsError):
        return "wrong_audience" if "audience" in text else "wrong_issuer" if "issuer" in text else "bad_claims"
    return "bad_signature" if "signature" in text else "bad_claims"


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    client_id: str
    scopes: tuple[str, ...]


class KeySource(Protocol):
    """Where the verifier finds public keys by `kid`: the embedded key ring or a remote JWKS."""

    def key_for(self, kid: str) -> dict[str, Any] | None: ...


class Issuer:
    """The embedded OAuth2 issuer (default mode): mints RS256 tokens with the ring's active key."""

    def __init__(self, keys: SigningKeyRing, issuer: str, audience: str, ttl_seconds: int) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds

    @classmethod
    def for_settings(cls, settings: Settings, db: ControlDB) -> Issuer:
        """The issuer over the control database's shared key ring (keys sealed under the settings' KEK)."""
        ring = SigningKeyRing(
            db,
            load_key_provider(settings),
            settings.keys_dir,
            publish_seconds=settings.token_ttl_seconds + LEEWAY_SECONDS,
        )
        return cls(ring, settings.issuer, settings.auth_audience, settings.token_ttl_seconds)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk for key in self.keys.published()]}

    def key_for(self, kid: str) -> dict[str, Any] | None:
        key = self.keys.find(kid)
        return None if key is None else key.public_jwk

    def mint(self, client: Client, scopes: tuple[str, ...]) -> str:
        now = int(time.time())
        key = self.keys.active
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
        return jwt.encode(claims, key.private_pem.decode(), algorithm="RS256", headers={"kid": key.kid})


@dataclass(frozen=True)
class TokenVerifier:
    """The only place a JWT is verified: RS256 only, key by `kid`, issuer and audience always checked."""

    keys: KeySource
    issuer: str
    audience: str
    tenant_claim: str = TENANT_CLAIM

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except JOSEError:
            raise InvalidToken("malformed token", "malformed") from None
        if header.get("alg") not in ALGORITHMS:
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted; tokens must be RS256", "algorithm")
        kid = header.get("kid")
        key = self.keys.key_for(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidToken("unknown signing key (kid)", "unknown_key")
        try:
            # python-jose accepts `aud` as a string or a list that contains our audience (Auth0 sends both).
            claims = jwt.decode(
                token, key, algorithms=ALGORITHMS, audience=self.audience, issuer=self.issuer, options=VERIFY_OPTIONS
            )
        except (JOSEError, TypeError, ValueError) as exc:  # python-jose lets odd claim types through as TypeError
            raise InvalidToken(str(exc) or "token rejected", _rejection(exc)) from None
        issued = claims["iat"]
        # python-jose only checks that `iat` converts to a number; a token from the future is forged or mis-clocked.
        if not isinstance(issued, int | float) or isinstance(issued, bool) or issued > time.time() + LEEWAY_SECONDS:
            raise InvalidToken("token issue time (iat) is invalid or in the future", "bad_claims")
        return _principal(claims, self.tenant_claim)


def _principal(claims: dict[str, Any], tenant_claim: str) -> Principal:
    tenant = claims.get(tenant_claim)
    # Auth0 names the client `azp` in one token profile and `client_id` in the other.
    client_id = claims.get("azp") or claims.get("client_id")
    # Tenant ids reach storage keys, workflow ids and visibility queries: only the admin CLI's shape passes.
    if not isinstance(tenant, str) or not TENANT_PATTERN.match(tenant) or not isinstance(client_id, str):
        raise InvalidToken("token carries no valid tenant", "no_tenant")
    scopes = str(claims.get("scope", "")).split()
    # Auth0 RBAC puts API permissions in `permissions`; either way they are the token's scopes.
    permissions = claims.get("permissions")
    if isinstance(permissions, list):
        scopes += [p for p in permissions if isinstance(p, str) and p not in scopes]
    return Principal(tenant, client_id, tuple(scopes))
