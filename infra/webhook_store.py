"""Webhook endpoints, their signing secrets, and the deliveries made to them, in the control database.

Secrets are stored only wrapped by the key-encryption key (the key provider that wraps the tenants'
data keys, bound to tenant, endpoint and version), so the database alone does not sign anything.
Idempotency of creation and rotation lives in these tables (as for credential rotations), so no
stored response ever holds a secret. Replicas racing on one key or one secret version are settled by
the tables' unique keys (ON CONFLICT on both dialects): the loser's transaction is rolled back and run
again, and then finds the winner's row.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, func, or_, select, update

from simulacra.infra.control_tables import webhook_attempts, webhook_deliveries, webhook_endpoints, webhook_secrets
from simulacra.infra.controldb import ControlDB
from simulacra.infra.key_provider import KeyProvider
from simulacra.infra.webhook_signing import new_secret


class EndpointKeyReused(Exception):
    """The Idempotency-Key was used for a different request."""


class EndpointLimitReached(Exception):
    pass


@dataclass(frozen=True)
class Endpoint:
    endpoint_id: str
    tenant_id: str
    url: str
    event_types: tuple[str, ...]
    description: str | None
    created_at: float


@dataclass(frozen=True)
class Issued:
    """An endpoint with a secret just made (or made by the request this one replays)."""

    endpoint: Endpoint
    secret: bytes
    replayed: bool
    previous_retires_at: float | None = None


@dataclass(frozen=True)
class Attempt:
    attempt: int
    at: float
    status_code: int | None
    error: str | None


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    event_id: str
    event_type: str
    status: str  # pending, succeeded, failed
    created_at: float
    finished_at: float | None
    attempts: list[Attempt] = field(default_factory=list)


class _Raced(Exception):
    """Another replica wrote the row this transaction meant to write: roll back and run it again."""


_ENDPOINT_COLUMNS = (
    webhook_endpoints.c.endpoint_id,
    webhook_endpoints.c.tenant_id,
    webhook_endpoints.c.url,
    webhook_endpoints.c.event_types,
    webhook_endpoints.c.description,
    webhook_endpoints.c.created_at,
)


def _endpoint(row: Row[*tuple[Any, ...]]) -> Endpoint:
    return Endpoint(
        row.endpoint_id, row.tenant_id, row.url, tuple(row.event_types.split()), row.description, row.created_at
    )


class WebhookStore:
    def __init__(self, db: ControlDB, keys: KeyProvider, overlap_seconds: float) -> None:
        self.db = db
        self._keys = keys
        self._overlap = overlap_seconds

    # Endpoints

    def create(
        self,
        tenant_id: str,
        endpoint_id: str,
        url: str,
        event_types: tuple[str, ...],
        description: str | None,
        key: str,
        fingerprint: str,
        max_endpoints: int,
    ) -> Issued:
        while True:
            try:
                return self._create(
                    tenant_id, endpoint_id, url, event_types, description, key, fingerprint, max_endpoints
                )
            except _Raced:
                continue  # the winner's endpoint is there now: the next run answers it as a replay

    def _create(
        self,
        tenant_id: str,
        endpoint_id: str,
        url: str,
        event_types: tuple[str, ...],
        description: str | None,
        key: str,
        fingerprint: str,
        max_endpoints: int,
    ) -> Issued:
        now = time.time()
        with self.db.connect() as conn:
            row = conn.execute(
                select(*_ENDPOINT_COLUMNS, webhook_endpoints.c.fingerprint).where(
                    webhook_endpoints.c.tenant_id == tenant_id, webhook_endpoints.c.idempotency_key == key
                )
            ).first()
            if row is not None:
                if row.fingerprint != fingerprint:
                    raise EndpointKeyReused
                first = conn.execute(
                    select(webhook_secrets.c.kek_id, webhook_secrets.c.wrapped_secret).where(
                        webhook_secrets.c.endpoint_id == row.endpoint_id, webhook_secrets.c.version == 1
                    )
                ).one()
                secret = self._unwrap(tenant_id, row.endpoint_id, 1, first.kek_id, first.wrapped_secret)
                return Issued(_endpoint(row), secret, replayed=True)
            self.db.lock_tenant(conn, "webhook endpoints", tenant_id)  # the count and the insert, together
            count = conn.execute(
                select(func.count()).select_from(webhook_endpoints).where(webhook_endpoints.c.tenant_id == tenant_id)
            ).scalar_one()
            if count >= max_endpoints:
                raise EndpointLimitReached
            inserted = conn.execute(
                self.db.insert(webhook_endpoints)
                .values(
                    endpoint_id=endpoint_id,
                    tenant_id=tenant_id,
                    url=url,
                    event_types=" ".join(event_types),
                    description=description,
                    idempotency_key=key,
                    fingerprint=fingerprint,
                    created_at=now,
                )
                .on_conflict_do_nothing()
                .returning(webhook_endpoints.c.endpoint_id)  # no row back: another replica's insert won
            ).first()
            if inserted is None:
                raise _Raced
            secret = new_secret()
            self._insert_secret(conn, tenant_id, endpoint_id, 1, secret, now, None, None)
        endpoint = Endpoint(endpoint_id, tenant_id, url, event_types, description, now)
        return Issued(endpoint, secret, replayed=False)

    def endpoints(self, tenant_id: str) -> list[Endpoint]:
        with self.db.connect() as conn:
            rows = conn.execute(
                select(*_ENDPOINT_COLUMNS)
                .where(webhook_endpoints.c.tenant_id == tenant_id)
                .order_by(webhook_endpoints.c.created_at.desc(), webhook_endpoints.c.endpoint_id.desc())
            ).all()
        return [_endpoint(row) for row in rows]

    def get(self, tenant_id: str, endpoint_id: str) -> Endpoint | None:
        with self.db.connect() as conn:
            row = self._endpoint_row(conn, tenant_id, endpoint_id)
        return None if row is None else _endpoint(row)

    def _endpoint_row(self, conn: Connection, tenant_id: str, endpoint_id: str) -> Row[*tuple[Any, ...]] | None:
        return conn.execute(
            select(*_ENDPOINT_COLUMNS).where(
                webhook_endpoints.c.tenant_id == tenant_id, webhook_endpoints.c.endpoint_id == endpoint_id
            )
        ).first()

    def delete(self, tenant_id: str, endpoint_id: str) -> bool:
        """The endpoint, its secrets and its delivery history; deliveries still retrying stop at their next attempt."""
        with self.db.connect() as conn:
            gone = conn.execute(
                delete(webhook_endpoints).where(
                    webhook_endpoints.c.tenant_id == tenant_id, webhook_endpoints.c.endpoint_id == endpoint_id
                )
            )
            if gone.rowcount == 0:
                return False
            of_endpoint = select(webhook_deliveries.c.delivery_id).where(
                webhook_deliveries.c.endpoint_id == endpoint_id
            )
            conn.execute(delete(webhook_attempts).where(webhook_attempts.c.delivery_id.in_(of_endpoint)))
            conn.execute(delete(webhook_deliveries).where(webhook_deliveries.c.endpoint_id == endpoint_id))
            conn.execute(delete(webhook_secrets).where(webhook_secrets.c.endpoint_id == endpoint_id))
        return True

    # Secrets

    def rotate(self, tenant_id: str, endpoint_id: str, key: str, fingerprint: str) -> Issued | None:
        """A new current secret; the one it replaces keeps signing beside it for the overlap. None: no such endpoint."""
        while True:
            try:
                return self._rotate(tenant_id, endpoint_id, key, fingerprint)
            except _Raced:
                continue  # another rotation took this version: the next run replays it or takes the next one

    def _rotate(self, tenant_id: str, endpoint_id: str, key: str, fingerprint: str) -> Issued | None:
        now = time.time()
        with self.db.connect() as conn:
            row = self._endpoint_row(conn, tenant_id, endpoint_id)
            if row is None:
                return None
            endpoint = _endpoint(row)
            earlier = conn.execute(
                select(
                    webhook_secrets.c.endpoint_id,
                    webhook_secrets.c.version,
                    webhook_secrets.c.kek_id,
                    webhook_secrets.c.wrapped_secret,
                    webhook_secrets.c.fingerprint,
                ).where(webhook_secrets.c.tenant_id == tenant_id, webhook_secrets.c.idempotency_key == key)
            ).first()
            if earlier is not None:
                if earlier.endpoint_id != endpoint_id or earlier.fingerprint != fingerprint:
                    raise EndpointKeyReused
                secret = self._unwrap(tenant_id, endpoint_id, earlier.version, earlier.kek_id, earlier.wrapped_secret)
                return Issued(endpoint, secret, replayed=True, previous_retires_at=self._retiring(conn, endpoint_id))
            version = conn.execute(
                select(func.max(webhook_secrets.c.version)).where(webhook_secrets.c.endpoint_id == endpoint_id)
            ).scalar_one()
            retires_at = now + self._overlap
            conn.execute(
                update(webhook_secrets)
                .where(webhook_secrets.c.endpoint_id == endpoint_id, webhook_secrets.c.retires_at.is_(None))
                .values(retires_at=retires_at)
            )
            secret = new_secret()
            self._insert_secret(conn, tenant_id, endpoint_id, version + 1, secret, now, key, fingerprint)
        return Issued(endpoint, secret, replayed=False, previous_retires_at=retires_at)

    def _retiring(self, conn: Connection, endpoint_id: str) -> float | None:
        retires_at: float | None = conn.execute(
            select(func.max(webhook_secrets.c.retires_at)).where(webhook_secrets.c.endpoint_id == endpoint_id)
        ).scalar_one()
        return retires_at

    def signing_secrets(self, tenant_id: str, endpoint_id: str) -> tuple[Endpoint, list[bytes]] | None:
        """The endpoint and every secret that signs now, the current one first; None once it is deleted."""
        now = time.time()
        with self.db.connect() as conn:
            row = self._endpoint_row(conn, tenant_id, endpoint_id)
            if row is None:
                return None
            rows = conn.execute(
                select(webhook_secrets.c.version, webhook_secrets.c.kek_id, webhook_secrets.c.wrapped_secret)
                .where(
                    webhook_secrets.c.endpoint_id == endpoint_id,
                    or_(webhook_secrets.c.retires_at.is_(None), webhook_secrets.c.retires_at > now),
                )
                .order_by(webhook_secrets.c.version.desc())
            ).all()
        return _endpoint(row), [
            self._unwrap(tenant_id, endpoint_id, r.version, r.kek_id, r.wrapped_secret) for r in rows
        ]

    def _insert_secret(
        self,
        conn: Connection,
        tenant_id: str,
        endpoint_id: str,
        version: int,
        secret: bytes,
        now: float,
        key: str | None,
        fingerprint: str | None,
    ) -> None:
        wrapped = self._keys.wrap(secret, _context(tenant_id, endpoint_id, version))
        inserted = conn.execute(
            self.db.insert(webhook_secrets)
            .values(
                endpoint_id=endpoint_id,
                version=version,
                tenant_id=tenant_id,
                kek_id=self._keys.kek_id,
                wrapped_secret=base64.b64encode(wrapped).decode(),
                created_at=now,
                idempotency_key=key,
                fingerprint=fingerprint,
            )
            .on_conflict_do_nothing()
            .returning(webhook_secrets.c.version)  # no row back: another replica's insert won
        ).first()
        if inserted is None:
            raise _Raced

    def _unwrap(self, tenant_id: str, endpoint_id: str, version: int, kek_id: str, wrapped: str) -> bytes:
        return self._keys.unwrap(base64.b64decode(wrapped), kek_id, _context(tenant_id, endpoint_id, version))

    # Deliveries

    def open_deliveries(
        self, tenant_id: str, event_id: str, event_type: str, delivery_id_for: Callable[[str], str]
    ) -> list[tuple[str, str]]:
        """Record a pending delivery to each endpoint subscribed to `event_type` (once: a retried plan finds
        them there); its (endpoint id, delivery id) pairs, oldest endpoint first."""
        now = time.time()
        subscribed: list[tuple[str, str]] = []
        with self.db.connect() as conn:
            rows = conn.execute(
                select(webhook_endpoints.c.endpoint_id, webhook_endpoints.c.event_types)
                .where(webhook_endpoints.c.tenant_id == tenant_id)
                .order_by(webhook_endpoints.c.created_at, webhook_endpoints.c.endpoint_id)
            ).all()
            for row in rows:
                if event_type not in row.event_types.split():
                    continue
                delivery_id = delivery_id_for(row.endpoint_id)
                conn.execute(
                    self.db.insert(webhook_deliveries)
                    .values(
                        delivery_id=delivery_id,
                        endpoint_id=row.endpoint_id,
                        tenant_id=tenant_id,
                        event_id=event_id,
                        event_type=event_type,
                        status="pending",
                        created_at=now,
                    )
                    .on_conflict_do_nothing()
                )
                subscribed.append((row.endpoint_id, delivery_id))
        return subscribed

    def record_attempt(
        self, delivery_id: str, attempt: int, status_code: int | None, error: str | None, succeeded: bool
    ) -> None:
        """One attempt (the same attempt recorded twice keeps the last), and the delivery's outcome on success."""
        now = time.time()
        with self.db.connect() as conn:
            recorded = self.db.insert(webhook_attempts).values(
                delivery_id=delivery_id, attempt=attempt, at=now, status_code=status_code, error=error
            )
            conn.execute(
                recorded.on_conflict_do_update(
                    index_elements=[webhook_attempts.c.delivery_id, webhook_attempts.c.attempt],
                    set_={"at": now, "status_code": status_code, "error": error},
                )
            )
            if succeeded:
                conn.execute(
                    update(webhook_deliveries)
                    .where(webhook_deliveries.c.delivery_id == delivery_id)
                    .values(status="succeeded", finished_at=now)
                )

    def give_up(self, delivery_id: str) -> None:
        with self.db.connect() as conn:
            conn.execute(
                update(webhook_deliveries)
                .where(webhook_deliveries.c.delivery_id == delivery_id, webhook_deliveries.c.status == "pending")
                .values(status="failed", finished_at=time.time())
            )

    def deliveries(
        self, tenant_id: str, endpoint_id: str, limit: int, after: tuple[float, str] | None
    ) -> tuple[list[Delivery], tuple[float, str] | None]:
        """A page of the endpoint's deliveries, newest first, each with its attempts; and where the next starts."""
        d = webhook_deliveries.c
        query = select(d.delivery_id, d.event_id, d.event_type, d.status, d.created_at, d.finished_at).where(
            d.tenant_id == tenant_id, d.endpoint_id == endpoint_id
        )
        if after is not None:
            query = query.where(or_(d.created_at < after[0], and_(d.created_at == after[0], d.delivery_id < after[1])))
        query = query.order_by(d.created_at.desc(), d.delivery_id.desc()).limit(limit + 1)
        with self.db.connect() as conn:
            rows = conn.execute(query).all()
            page = rows[:limit]
            attempts: dict[str, list[Attempt]] = {row.delivery_id: [] for row in page}
            if page:
                a = webhook_attempts.c
                for found in conn.execute(
                    select(a.delivery_id, a.attempt, a.at, a.status_code, a.error)
                    .where(a.delivery_id.in_(list(attempts)))
                    .order_by(a.attempt)
                ).all():
                    attempts[found.delivery_id].append(Attempt(found.attempt, found.at, found.status_code, found.error))
        deliveries = [
            Delivery(
                row.delivery_id,
                row.event_id,
                row.event_type,
                row.status,
                row.created_at,
                row.finished_at,
                attempts[row.delivery_id],
            )
            for row in page
        ]
        more = len(rows) > limit
        return deliveries, (page[-1].created_at, page[-1].delivery_id) if more else None


def _context(tenant_id: str, endpoint_id: str, version: int) -> bytes:
    return f"simulacra webhook secret\n{tenant_id}\n{endpoint_id}\n{version}".encode()
