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
import time
from dataclasses import dataclass

from sqlalchemy import Connection, and_, func, select, update
from sqlalchemy.exc import IntegrityError

from simulacra.infra.config import Settings
from simulacra.infra.control_tables import claim_tokens, clients, rotations
from simulacra.infra.controldb import ControlDB
from simulacra.infra.key_provider import load_key_provider
from simulacra.infra.scopes import DEFAULT_SCOPES
from simulacra.infra.sealed import shared_secret
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
    def __init__(self, db: ControlDB, token_key: bytes, overlap_seconds: int, rotations_per_hour: int = 5) -> None:
        self.db = db
        self._token_key = token_key
        self.overlap_seconds = overlap_seconds
        self.rotations_per_hour = rotations_per_hour

    @classmethod
    def for_settings(cls, settings: Settings, db: ControlDB | None = None) -> CredentialStore:
        """With the claim-token key every API replica shares (the control database's, sealed under the KEK)."""
        db = db or ControlDB(settings.resolved_control_db)
        token_key = shared_secret(
            db,
            load_key_provider(settings),
            "claim-tokens",
            lambda: secrets.token_bytes(32),
            settings.keys_dir / "claim-tokens.key",
        )
        return cls(
            db,
            token_key,
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
        conn: Connection,
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
            clients.insert().values(
                client_id=client.client_id, tenant_id=tenant_id, scopes=" ".join(client.scopes), created_at=now
            )
        )
        conn.execute(
            claim_tokens.insert().values(
                token_sha256=_digest(token),
                client_id=client.client_id,
                expires_at=now + claim_ttl_seconds,
                kind=kind,
                ref_id=signup_id,
            )
        )
        return client, token

    def claim(self, token: str) -> ClaimedCredentials:
        """Consume the token and mint a fresh secret; only its slow hash is stored.

        Redeeming a rotation's token moves the current secret to `previous`, valid for the overlap.
        """
        secret = f"scs_{secrets.token_urlsafe(32)}"
        now = time.time()
        digest = _digest(token)
        with self.db.connect() as conn:
            row = conn.execute(
                select(
                    claim_tokens.c.client_id,
                    claim_tokens.c.kind,
                    claim_tokens.c.expires_at,
                    claim_tokens.c.consumed_at,
                    clients.c.tenant_id,
                    clients.c.scopes,
                    clients.c.secret_hash,
                    clients.c.revoked_at,
                )
                .join_from(claim_tokens, clients, claim_tokens.c.client_id == clients.c.client_id)
                .where(claim_tokens.c.token_sha256 == digest)
            ).first()
            if row is None or row.revoked_at is not None:
                raise ClaimRefused()
            if row.consumed_at is not None:
                if row.kind == "rotation":
                    raise RotationClaimConsumed()
                raise ClaimRefused()
            if row.expires_at <= now:
                raise ClaimRefused()
            # Exactly once across replicas: of two redemptions racing past the read above, one updates the row.
            consumed = conn.execute(
                update(claim_tokens)
                .where(claim_tokens.c.token_sha256 == digest, claim_tokens.c.consumed_at.is_(None))
                .values(consumed_at=now)
            )
            if consumed.rowcount != 1:
                if row.kind == "rotation":
                    raise RotationClaimConsumed()
                raise ClaimRefused()
            rotated = row.kind == "rotation" and row.secret_hash is not None
            conn.execute(
                update(clients)
                .where(clients.c.client_id == row.client_id)
                .values(
                    secret_hash=hash_secret(secret),
                    previous_secret_hash=row.secret_hash if rotated else None,
                    previous_valid_until=now + self.overlap_seconds if rotated else None,
                )
            )
        client = Client(row.client_id, row.tenant_id, tuple(row.scopes.split()))
        return ClaimedCredentials(client, secret, rotated)

    def authenticate(self, client_id: str, client_secret: str) -> Client | None:
        """The client if the secret is its current one, or its previous one within the overlap."""
        with self.db.connect() as conn:
            row = conn.execute(select(clients).where(clients.c.client_id == client_id)).first()
        if row is None or row.revoked_at is not None or row.secret_hash is None:
            # The same scrypt work as for a known client: timing must not tell which client ids exist.
            verify_secret(client_secret, _DECOY_HASH)
            return None
        current = verify_secret(client_secret, row.secret_hash)
        previous = (
            not current
            and row.previous_secret_hash is not None
            and (row.previous_valid_until or 0) > time.time()
            and verify_secret(client_secret, row.previous_secret_hash)
        )
        if not (current or previous):
            return None
        return Client(client_id, row.tenant_id, tuple(row.scopes.split()))

    def claim_state(self, kind: str, ref_id: str) -> tuple[float | None, float] | None:
        """(consumed_at, expires_at) of the claim token issued for a signup or rotation, if any."""
        with self.db.connect() as conn:
            row = conn.execute(
                select(claim_tokens.c.consumed_at, claim_tokens.c.expires_at).where(
                    claim_tokens.c.kind == kind, claim_tokens.c.ref_id == ref_id
                )
            ).first()
        return None if row is None else (row.consumed_at, row.expires_at)

    def find_client(self, tenant_id: str, client_id: str) -> Client | None:
        """A live client of this tenant (another tenant's client is as absent as a missing one)."""
        with self.db.connect() as conn:
            scopes = conn.execute(
                select(clients.c.scopes).where(
                    clients.c.client_id == client_id, clients.c.tenant_id == tenant_id, clients.c.revoked_at.is_(None)
                )
            ).scalar()
        return None if scopes is None else Client(client_id, tenant_id, tuple(scopes.split()))

    def is_active(self, client_id: str) -> bool:
        """False once revoked: checked on every request, so revocation also ends outstanding tokens."""
        with self.db.connect() as conn:
            row = conn.execute(select(clients.c.revoked_at).where(clients.c.client_id == client_id)).first()
        return row is not None and row.revoked_at is None

    def revoke(self, tenant_id: str, client_id: str) -> bool:
        """Immediately: secrets, pending claim tokens and tokens already minted stop working."""
        now = time.time()
        with self.db.connect() as conn:
            changed = conn.execute(
                update(clients)
                .where(
                    clients.c.client_id == client_id, clients.c.tenant_id == tenant_id, clients.c.revoked_at.is_(None)
                )
                .values(revoked_at=now, secret_hash=None, previous_secret_hash=None)
            ).rowcount
            conn.execute(
                update(claim_tokens)
                .where(claim_tokens.c.client_id == client_id, claim_tokens.c.consumed_at.is_(None))
                .values(expires_at=now)
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
        try:
            return self._request_rotation(
                client, rotation_id, idempotency_key, fingerprint, requested_by, claim_ttl_seconds
            )
        except IntegrityError:
            # Another replica inserted a rotation for this key between our read and our insert: answer as a replay.
            return self._request_rotation(
                client, rotation_id, idempotency_key, fingerprint, requested_by, claim_ttl_seconds
            )

    def _request_rotation(
        self,
        client: Client,
        rotation_id: str,
        idempotency_key: str,
        fingerprint: str,
        requested_by: str,
        claim_ttl_seconds: int,
    ) -> tuple[Rotation, bool]:
        now = time.time()
        with self.db.connect() as conn:
            existing = conn.execute(
                select(rotations.c.rotation_id, rotations.c.fingerprint).where(
                    rotations.c.tenant_id == client.tenant_id, rotations.c.idempotency_key == idempotency_key
                )
            ).first()
            if existing is not None:
                if existing.fingerprint != fingerprint:
                    raise RotationKeyReused()
                rotation = self._rotation(conn, client.tenant_id, existing.rotation_id)
                assert rotation is not None
                if rotation.consumed_at is not None:
                    raise RotationClaimConsumed()
                return rotation, True
            recent = conn.execute(
                select(func.count(), func.min(rotations.c.created_at)).where(
                    rotations.c.client_id == client.client_id, rotations.c.created_at > now - 3600
                )
            ).one()
            if recent[0] >= self.rotations_per_hour:
                raise RotationRateLimited(int(recent[1] + 3600 - now) + 1)
            conn.execute(
                rotations.insert().values(
                    rotation_id=rotation_id,
                    tenant_id=client.tenant_id,
                    client_id=client.client_id,
                    idempotency_key=idempotency_key,
                    fingerprint=fingerprint,
                    requested_by=requested_by,
                    created_at=now,
                    expires_at=now + claim_ttl_seconds,
                )
            )
            token = self.derived_claim_token("rotation", rotation_id)
            conn.execute(
                claim_tokens.insert().values(
                    token_sha256=_digest(token),
                    client_id=client.client_id,
                    expires_at=now + claim_ttl_seconds,
                    kind="rotation",
                    ref_id=rotation_id,
                )
            )
            rotation = self._rotation(conn, client.tenant_id, rotation_id)
        assert rotation is not None
        return rotation, False

    def rotation(self, tenant_id: str, rotation_id: str) -> Rotation | None:
        with self.db.connect() as conn:
            return self._rotation(conn, tenant_id, rotation_id)

    def _rotation(self, conn: Connection, tenant_id: str, rotation_id: str) -> Rotation | None:
        row = conn.execute(
            select(
                rotations.c.rotation_id,
                rotations.c.client_id,
                rotations.c.created_at,
                rotations.c.expires_at,
                claim_tokens.c.consumed_at,
            )
            .join_from(
                rotations,
                claim_tokens,
                and_(claim_tokens.c.ref_id == rotations.c.rotation_id, claim_tokens.c.kind == "rotation"),
            )
            .where(rotations.c.rotation_id == rotation_id, rotations.c.tenant_id == tenant_id)
        ).first()
        if row is None:
            return None
        token = self.derived_claim_token("rotation", rotation_id)
        return Rotation(row[0], row[1], row[2], row[3], row[4], token)
