"""Client credentials of the embedded issuer: one-time claim tokens, slow-hashed secrets, rotation, revocation.

Claim tokens are stored only as SHA-256 digests. Tokens for rotations and approved signups are
derived (an HMAC of their request's id under a server key), so the API can show the same token
again to the requester who asked for it without ever storing it; random tokens from
`simulacra admin create-client` are printed once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from simulacra.infra.config import Settings
from simulacra.infra.controldb import ControlDB
from simulacra.infra.keyfiles import read_or_create
from simulacra.infra.scopes import DEFAULT_SCOPES
from simulacra.infra.secret_hash import hash_secret, verify_secret

_DECOY_HASH = hash_secret(secrets.token_urlsafe(32))


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
    rotated: bool


@dataclass(frozen=True)
class Rotation:
    rotation_id: str
    client_id: str
    created_at: float
    expires_at: float
    consumed_at: float | None
    credential_claim_token: str

    @property
    def status(self) -> str:
        if self.consumed_at is not None:
            return "claimed"
        return "expired" if self.expires_at <= time.time() else "pending"


class ClaimRefused(Exception):
    """The claim token is unknown, already used or expired (deliberately indistinguishable)."""


class RotationClaimConsumed(Exception):
    """A rotation's claim token was already redeemed: its new secret went to whoever redeemed it."""


class RotationRateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class RotationKeyReused(Exception):
    """The Idempotency-Key already named a different rotation request."""


class CredentialStore:
    def __init__(self, db: ControlDB, keys_dir: Path, overlap_seconds: int, rotations_per_hour: int = 5) -> None:
        self.db = db
        self._token_key = read_or_create(keys_dir / "claim-tokens.key", lambda: secrets.token_bytes(32))
        self.overlap_seconds = overlap_seconds
        self.rotations_per_hour = rotations_per_hour

    @classmethod
    def for_settings(cls, settings: Settings, db: ControlDB | None = None) -> CredentialStore:
        return cls(
            db or ControlDB(settings.resolved_control_db),
            settings.keys_dir,
            settings.credential_overlap_seconds,
            settings.rotations_per_hour,
        )

    def derived_claim_token(self, kind: str, ref_id: str) -> str:
        mac = hmac.new(self._token_key, f"{kind}\n{ref_id}".encode(), hashlib.sha256).digest()
        return "sct_" + base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def create_client(
        self,
        tenant_id: str,
        claim_ttl_seconds: int,
        scopes: tuple[str, ...] = DEFAULT_SCOPES,
        signup_id: str | None = None,
    ) -> tuple[Client, str]:
        """Register a client with no secret yet; returns it and its one-time claim token."""
        with self.db.connect() as conn:
            return self.insert_client(conn, tenant_id, claim_ttl_seconds, scopes, signup_id)

    def insert_client(
        self,
        conn: sqlite3.Connection,
        tenant_id: str,
        claim_ttl_seconds: int,
        scopes: tuple[str, ...],
        signup_id: str | None = None,
    ) -> tuple[Client, str]:
        """`create_client` inside the caller's transaction (a signup's approval is one transaction)."""
        client = Client(f"cl_{secrets.token_hex(8)}", tenant_id, scopes)
        if signup_id:
            token, kind = self.derived_claim_token("signup", signup_id), "signup"
        else:
            token, kind = f"sct_{secrets.token_urlsafe(32)}", "client"
        now = time.time()
        conn.execute(
            "INSERT INTO clients (client_id, tenant_id, secret_hash, scopes, created_at) VALUES (?,?,?,?,?)",
            (client.client_id, tenant_id, None, " ".join(client.scopes), now),
        )
        conn.execute(
            "INSERT INTO claim_tokens (token_sha256, client_id, expires_at, kind, ref_id) VALUES (?,?,?,?,?)",
            (_digest(token), client.client_id, now + claim_ttl_seconds, kind, signup_id),
        )
        return client, token

    def claim(self, token: str) -> ClaimedCredentials:
        """Consume the token and mint a fresh secret; only its slow hash is stored.

        Redeeming a rotation's token moves the current secret to `previous`, valid for the overlap.
        """
        secret = f"scs_{secrets.token_urlsafe(32)}"
        now = time.time()
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT t.client_id, t.kind, t.expires_at, t.consumed_at, c.tenant_id, c.scopes, c.secret_hash,"
                " c.revoked_at FROM claim_tokens t JOIN clients c USING (client_id) WHERE t.token_sha256 = ?",
                (_digest(token),),
            ).fetchone()
            if row is None or row["revoked_at"] is not None:
                raise ClaimRefused()
            if row["consumed_at"] is not None:
                if row["kind"] == "rotation":
                    raise RotationClaimConsumed()
                raise ClaimRefused()
            if row["expires_at"] <= now:
                raise ClaimRefused()
            conn.execute("UPDATE claim_tokens SET consumed_at = ? WHERE token_sha256 = ?", (now, _digest(token)))
            rotated = row["kind"] == "rotation" and row["secret_hash"] is not None
            conn.execute(
                "UPDATE clients SET secret_hash = ?, previous_secret_hash = ?, previous_valid_until = ?"
                " WHERE client_id = ?",
                (
                    hash_secret(secret),
                    row["secret_hash"] if rotated else None,
                    now + self.overlap_seconds if rotated else None,
                    row["client_id"],
                ),
            )
        client = Client(row["client_id"], row["tenant_id"], tuple(row["scopes"].split()))
        return ClaimedCredentials(client, secret, rotated)

    def authenticate(self, client_id: str, client_secret: str) -> Client | None:
        """The client if the secret is its current one, or its previous one within the overlap."""
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT tenant_id, secret_hash, previous_secret_hash, previous_valid_until, scopes, revoked_at"
                " FROM clients WHERE client_id = ?",
                (client_id,),
            ).fetchone()
        if row is None or row["revoked_at"] is not None or row["secret_hash"] is None:
            # The same scrypt work as for a known client: timing must not tell which client ids exist.
            verify_secret(client_secret, _DECOY_HASH)
            return None
        current = verify_secret(client_secret, row["secret_hash"])
        previous = (
            not current
            and row["previous_secret_hash"] is not None
            and (row["previous_valid_until"] or 0) > time.time()
            and verify_secret(client_secret, row["previous_secret_hash"])
        )
        if not (current or previous):
            return None
        return Client(client_id, row["tenant_id"], tuple(row["scopes"].split()))

    def claim_state(self, kind: str, ref_id: str) -> tuple[float | None, float] | None:
        """(consumed_at, expires_at) of the claim token issued for a signup or rotation, if any."""
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT consumed_at, expires_at FROM claim_tokens WHERE kind = ? AND ref_id = ?", (kind, ref_id)
            ).fetchone()
        return None if row is None else (row["consumed_at"], row["expires_at"])

    def find_client(self, tenant_id: str, client_id: str) -> Client | None:
        """A live client of this tenant (another tenant's client is as absent as a missing one)."""
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT scopes FROM clients WHERE client_id = ? AND tenant_id = ? AND revoked_at IS NULL",
                (client_id, tenant_id),
            ).fetchone()
        return None if row is None else Client(client_id, tenant_id, tuple(row["scopes"].split()))

    def is_active(self, client_id: str) -> bool:
        """False once revoked: checked on every request, so revocation also ends outstanding tokens."""
        with self.db.connect() as conn:
            row = conn.execute("SELECT revoked_at FROM clients WHERE client_id = ?", (client_id,)).fetchone()
        return row is not None and row["revoked_at"] is None

    def revoke(self, tenant_id: str, client_id: str) -> bool:
        """Immediately: secrets, pending claim tokens and tokens already minted stop working."""
        now = time.time()
        with self.db.connect() as conn:
            changed = conn.execute(
                "UPDATE clients SET revoked_at = ?, secret_hash = NULL, previous_secret_hash = NULL"
                " WHERE client_id = ? AND tenant_id = ? AND revoked_at IS NULL",
                (now, client_id, tenant_id),
            ).rowcount
            conn.execute(
                "UPDATE claim_tokens SET expires_at = ? WHERE client_id = ? AND consumed_at IS NULL", (now, client_id)
            )
        return changed == 1

    def request_rotation(
        self,
        client: Client,
        rotation_id: str,
        idempotency_key: str,
        fingerprint: str,
        requested_by: str,
        claim_ttl_seconds: int,
    ) -> tuple[Rotation, bool]:
        """A new one-time claim token for the client; returns (rotation, replayed).

        Idempotent in itself: the same key and request name the same rotation (its token derived,
        never stored), so no idempotency record ever holds a claim token.
        """
        now = time.time()
        with self.db.connect() as conn:
            existing = conn.execute(
                "SELECT rotation_id, fingerprint FROM rotations WHERE tenant_id = ? AND idempotency_key = ?",
                (client.tenant_id, idempotency_key),
            ).fetchone()
            if existing is not None:
                if existing["fingerprint"] != fingerprint:
                    raise RotationKeyReused()
                rotation = self._rotation(conn, client.tenant_id, existing["rotation_id"])
                assert rotation is not None
                if rotation.consumed_at is not None:
                    raise RotationClaimConsumed()
                return rotation, True
            recent = conn.execute(
                "SELECT created_at FROM rotations WHERE client_id = ? AND created_at > ? ORDER BY created_at",
                (client.client_id, now - 3600),
            ).fetchall()
            if len(recent) >= self.rotations_per_hour:
                raise RotationRateLimited(int(recent[0]["created_at"] + 3600 - now) + 1)
            conn.execute(
                "INSERT INTO rotations (rotation_id, tenant_id, client_id, idempotency_key, fingerprint,"
                " requested_by, created_at, expires_at) VALUES (?,?,?,?,?,?,?,?)",
                (
                    rotation_id,
                    client.tenant_id,
                    client.client_id,
                    idempotency_key,
                    fingerprint,
                    requested_by,
                    now,
                    now + claim_ttl_seconds,
                ),
            )
            token = self.derived_claim_token("rotation", rotation_id)
            conn.execute(
                "INSERT INTO claim_tokens (token_sha256, client_id, expires_at, kind, ref_id) VALUES (?,?,?,?,?)",
                (_digest(token), client.client_id, now + claim_ttl_seconds, "rotation", rotation_id),
            )
            rotation = self._rotation(conn, client.tenant_id, rotation_id)
        assert rotation is not None
        return rotation, False

    def rotation(self, tenant_id: str, rotation_id: str) -> Rotation | None:
        with self.db.connect() as conn:
            return self._rotation(conn, tenant_id, rotation_id)

    def _rotation(self, conn: sqlite3.Connection, tenant_id: str, rotation_id: str) -> Rotation | None:
        row = conn.execute(
            "SELECT r.rotation_id, r.client_id, r.created_at, r.expires_at, t.consumed_at FROM rotations r"
            " JOIN claim_tokens t ON t.ref_id = r.rotation_id AND t.kind = 'rotation'"
            " WHERE r.rotation_id = ? AND r.tenant_id = ?",
            (rotation_id, tenant_id),
        ).fetchone()
        if row is None:
            return None
        token = self.derived_claim_token("rotation", rotation_id)
        return Rotation(row[0], row[1], row[2], row[3], row[4], token)
