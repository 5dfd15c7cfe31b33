"""Client credentials of the embedded issuer and their one-time claim tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from infra.controldb import ControlDB
from infra.secret_hash import hash_secret, verify_secret

DEFAULT_SCOPES = ("datasets:write", "datasets:read", "generations:write", "generations:read")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Client:
    client_id: str
    tenant_id: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class ClaimedCredentials:
    client: Client
    client_secret: str


class ClaimRefused(Exception):
    """The claim token is unknown, already used or expired (deliberately indistinguishable)."""


class CredentialStore:
    def __init__(self, db: ControlDB) -> None:
        self.db = db

    def create_client(self, tenant_id: str, claim_ttl_seconds: int) -> tuple[Client, str]:
        """Register a client with no secret yet; returns it and a one-time claim token."""
        client = Client(f"cl_{secrets.token_hex(8)}", tenant_id, DEFAULT_SCOPES)
        token = f"sct_{secrets.token_urlsafe(32)}"
        now = time.time()
        with self.db.connect() as conn:
            conn.execute(
                "INSERT INTO clients (client_id, tenant_id, secret_hash, scopes, created_at) VALUES (?,?,?,?,?)",
                (client.client_id, tenant_id, None, " ".join(client.scopes), now),
            )
            conn.execute(
                "INSERT INTO claim_tokens (token_sha256, client_id, expires_at) VALUES (?,?,?)",
                (_digest(token), client.client_id, now + claim_ttl_seconds),
            )
        return client, token

    def claim(self, token: str) -> ClaimedCredentials:
        """Consume the token and mint a fresh secret; only its digest is stored."""
        secret = f"scs_{secrets.token_urlsafe(32)}"
        now = time.time()
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT t.client_id, c.tenant_id, c.scopes FROM claim_tokens t JOIN clients c USING (client_id)"
                " WHERE t.token_sha256 = ? AND t.consumed_at IS NULL AND t.expires_at > ?",
                (_digest(token), now),
            ).fetchone()
            if row is None:
                raise ClaimRefused()
            conn.execute("UPDATE claim_tokens SET consumed_at = ? WHERE token_sha256 = ?", (now, _digest(token)))
            conn.execute(
                "UPDATE clients SET secret_hash = ? WHERE client_id = ?", (hash_secret(secret), row["client_id"])
            )
        return ClaimedCredentials(Client(row["client_id"], row["tenant_id"], tuple(row["scopes"].split())), secret)

    def authenticate(self, client_id: str, client_secret: str) -> Client | None:
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT tenant_id, secret_hash, scopes FROM clients WHERE client_id = ?", (client_id,)
            ).fetchone()
        if row is None or row["secret_hash"] is None:
            return None
        if not verify_secret(client_secret, row["secret_hash"]):
            return None
        return Client(client_id, row["tenant_id"], tuple(row["scopes"].split()))
