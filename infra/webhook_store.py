"""Webhook endpoints, their signing secrets, and the deliveries made to them, in the control database.

Secrets are stored only wrapped by the key-encryption key (the key provider that wraps the tenants'
data keys, bound to tenant, endpoint and version), so the database alone does not sign anything.
Idempotency of creation and rotation lives in these tables (as for credential rotations), so no
stored response ever holds a secret. The SQL is plain: the same statements run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field

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


def _endpoint(row: sqlite3.Row) -> Endpoint:
    return Endpoint(
        row["endpoint_id"],
        row["tenant_id"],
        row["url"],
        tuple(row["event_types"].split()),
        row["description"],
        row["created_at"],
    )


_ENDPOINT_COLUMNS = "endpoint_id, tenant_id, url, event_types, description, created_at"


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
        now = time.time()
        with self.db.connect() as conn:
            row = conn.execute(
                f"SELECT {_ENDPOINT_COLUMNS}, fingerprint FROM webhook_endpoints"
                " WHERE tenant_id = ? AND idempotency_key = ?",
                (tenant_id, key),
            ).fetchone()
            if row is not None:
                if row["fingerprint"] != fingerprint:
                    raise EndpointKeyReused
                first = conn.execute(
                    "SELECT kek_id, wrapped_secret FROM webhook_secrets WHERE endpoint_id = ? AND version = 1",
                    (row["endpoint_id"],),
                ).fetchone()
                secret = self._unwrap(tenant_id, row["endpoint_id"], 1, first["kek_id"], first["wrapped_secret"])
                return Issued(_endpoint(row), secret, replayed=True)
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM webhook_endpoints WHERE tenant_id = ?", (tenant_id,)
            ).fetchone()
            if count >= max_endpoints:
                raise EndpointLimitReached
            conn.execute(
                "INSERT INTO webhook_endpoints (endpoint_id, tenant_id, url, event_types, description,"
                " idempotency_key, fingerprint, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (endpoint_id, tenant_id, url, " ".join(event_types), description, key, fingerprint, now),
            )
            secret = new_secret()
            self._insert_secret(conn, tenant_id, endpoint_id, 1, secret, now, None, None)
        endpoint = Endpoint(endpoint_id, tenant_id, url, event_types, description, now)
        return Issued(endpoint, secret, replayed=False)

    def endpoints(self, tenant_id: str) -> list[Endpoint]:
        with self.db.connect() as conn:
            rows = conn.execute(
                f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = ?"
                " ORDER BY created_at DESC, endpoint_id DESC",
                (tenant_id,),
            ).fetchall()
        return [_endpoint(row) for row in rows]

    def get(self, tenant_id: str, endpoint_id: str) -> Endpoint | None:
        with self.db.connect() as conn:
            row = conn.execute(
                f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = ? AND endpoint_id = ?",
                (tenant_id, endpoint_id),
            ).fetchone()
        return None if row is None else _endpoint(row)

    def delete(self, tenant_id: str, endpoint_id: str) -> bool:
        """The endpoint, its secrets and its delivery history; deliveries still retrying stop at their next attempt."""
        with self.db.connect() as conn:
            gone = conn.execute(
                "DELETE FROM webhook_endpoints WHERE tenant_id = ? AND endpoint_id = ?", (tenant_id, endpoint_id)
            )
            if gone.rowcount == 0:
                return False
            conn.execute(
                "DELETE FROM webhook_attempts WHERE delivery_id IN"
                " (SELECT delivery_id FROM webhook_deliveries WHERE endpoint_id = ?)",
                (endpoint_id,),
            )
            conn.execute("DELETE FROM webhook_deliveries WHERE endpoint_id = ?", (endpoint_id,))
            conn.execute("DELETE FROM webhook_secrets WHERE endpoint_id = ?", (endpoint_id,))
        return True

    # Secrets

    def rotate(self, tenant_id: str, endpoint_id: str, key: str, fingerprint: str) -> Issued | None:
        """A new current secret; the one it replaces keeps signing beside it for the overlap. None: no such endpoint."""
        now = time.time()
        with self.db.connect() as conn:
            row = conn.execute(
                f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = ? AND endpoint_id = ?",
                (tenant_id, endpoint_id),
            ).fetchone()
            if row is None:
                return None
            endpoint = _endpoint(row)
            earlier = conn.execute(
                "SELECT endpoint_id, version, kek_id, wrapped_secret, fingerprint FROM webhook_secrets"
                " WHERE tenant_id = ? AND idempotency_key = ?",
                (tenant_id, key),
            ).fetchone()
            if earlier is not None:
                if earlier["endpoint_id"] != endpoint_id or earlier["fingerprint"] != fingerprint:
                    raise EndpointKeyReused
                secret = self._unwrap(
                    tenant_id, endpoint_id, earlier["version"], earlier["kek_id"], earlier["wrapped_secret"]
                )
                return Issued(endpoint, secret, replayed=True, previous_retires_at=self._retiring(conn, endpoint_id))
            (version,) = conn.execute(
                "SELECT MAX(version) FROM webhook_secrets WHERE endpoint_id = ?", (endpoint_id,)
            ).fetchone()
            retires_at = now + self._overlap
            conn.execute(
                "UPDATE webhook_secrets SET retires_at = ? WHERE endpoint_id = ? AND retires_at IS NULL",
                (retires_at, endpoint_id),
            )
            secret = new_secret()
            self._insert_secret(conn, tenant_id, endpoint_id, version + 1, secret, now, key, fingerprint)
        return Issued(endpoint, secret, replayed=False, previous_retires_at=retires_at)

    def _retiring(self, conn: sqlite3.Connection, endpoint_id: str) -> float | None:
        row = conn.execute(
            "SELECT MAX(retires_at) FROM webhook_secrets WHERE endpoint_id = ?", (endpoint_id,)
        ).fetchone()
        retires_at: float | None = row[0]
        return retires_at

    def signing_secrets(self, tenant_id: str, endpoint_id: str) -> tuple[Endpoint, list[bytes]] | None:
        """The endpoint and every secret that signs now, the current one first; None once it is deleted."""
        now = time.time()
        with self.db.connect() as conn:
            row = conn.execute(
                f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = ? AND endpoint_id = ?",
                (tenant_id, endpoint_id),
            ).fetchone()
            if row is None:
                return None
            rows = conn.execute(
                "SELECT version, kek_id, wrapped_secret FROM webhook_secrets"
                " WHERE endpoint_id = ? AND (retires_at IS NULL OR retires_at > ?) ORDER BY version DESC",
                (endpoint_id, now),
            ).fetchall()
        return _endpoint(row), [
            self._unwrap(tenant_id, endpoint_id, r["version"], r["kek_id"], r["wrapped_secret"]) for r in rows
        ]

    def _insert_secret(
        self,
        conn: sqlite3.Connection,
        tenant_id: str,
        endpoint_id: str,
        version: int,
        secret: bytes,
        now: float,
        key: str | None,
        fingerprint: str | None,
    ) -> None:
        wrapped = self._keys.wrap(secret, _context(tenant_id, endpoint_id, version))
        conn.execute(
            "INSERT INTO webhook_secrets (endpoint_id, version, tenant_id, kek_id, wrapped_secret, created_at,"
            " idempotency_key, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                endpoint_id,
                version,
                tenant_id,
                self._keys.kek_id,
                base64.b64encode(wrapped).decode(),
                now,
                key,
                fingerprint,
            ),
        )

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
                "SELECT endpoint_id, event_types FROM webhook_endpoints WHERE tenant_id = ?"
                " ORDER BY created_at, endpoint_id",
                (tenant_id,),
            ).fetchall()
            for row in rows:
                if event_type not in row["event_types"].split():
                    continue
                endpoint_id = row["endpoint_id"]
                delivery_id = delivery_id_for(endpoint_id)
                exists = conn.execute(
                    "SELECT 1 FROM webhook_deliveries WHERE delivery_id = ?", (delivery_id,)
                ).fetchone()
                if exists is None:
                    conn.execute(
                        "INSERT INTO webhook_deliveries (delivery_id, endpoint_id, tenant_id, event_id, event_type,"
                        " status, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
                        (delivery_id, endpoint_id, tenant_id, event_id, event_type, now),
                    )
                subscribed.append((endpoint_id, delivery_id))
        return subscribed

    def record_attempt(
        self, delivery_id: str, attempt: int, status_code: int | None, error: str | None, succeeded: bool
    ) -> None:
        """One attempt (the same attempt recorded twice keeps the last), and the delivery's outcome on success."""
        now = time.time()
        with self.db.connect() as conn:
            conn.execute("DELETE FROM webhook_attempts WHERE delivery_id = ? AND attempt = ?", (delivery_id, attempt))
            conn.execute(
                "INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error) VALUES (?, ?, ?, ?, ?)",
                (delivery_id, attempt, now, status_code, error),
            )
            if succeeded:
                conn.execute(
                    "UPDATE webhook_deliveries SET status = 'succeeded', finished_at = ? WHERE delivery_id = ?",
                    (now, delivery_id),
                )

    def give_up(self, delivery_id: str) -> None:
        with self.db.connect() as conn:
            conn.execute(
                "UPDATE webhook_deliveries SET status = 'failed', finished_at = ?"
                " WHERE delivery_id = ? AND status = 'pending'",
                (time.time(), delivery_id),
            )

    def deliveries(
        self, tenant_id: str, endpoint_id: str, limit: int, after: tuple[float, str] | None
    ) -> tuple[list[Delivery], tuple[float, str] | None]:
        """A page of the endpoint's deliveries, newest first, each with its attempts; and where the next starts."""
        query = (
            "SELECT delivery_id, event_id, event_type, status, created_at, finished_at FROM webhook_deliveries"
            " WHERE tenant_id = ? AND endpoint_id = ?"
        )
        args: list[object] = [tenant_id, endpoint_id]
        if after is not None:
            query += " AND (created_at < ? OR (created_at = ? AND delivery_id < ?))"
            args += [after[0], after[0], after[1]]
        query += " ORDER BY created_at DESC, delivery_id DESC LIMIT ?"
        args.append(limit + 1)
        with self.db.connect() as conn:
            rows = conn.execute(query, args).fetchall()
            page = rows[:limit]
            attempts: dict[str, list[Attempt]] = {row["delivery_id"]: [] for row in page}
            if page:
                marks = ", ".join("?" for _ in page)
                for a in conn.execute(
                    f"SELECT delivery_id, attempt, at, status_code, error FROM webhook_attempts"
                    f" WHERE delivery_id IN ({marks}) ORDER BY attempt",
                    [row["delivery_id"] for row in page],
                ).fetchall():
                    attempts[a["delivery_id"]].append(Attempt(a["attempt"], a["at"], a["status_code"], a["error"]))
        deliveries = [
            Delivery(
                row["delivery_id"],
                row["event_id"],
                row["event_type"],
                row["status"],
                row["created_at"],
                row["finished_at"],
                attempts[row["delivery_id"]],
            )
            for row in page
        ]
        more = len(rows) > limit
        return deliveries, (page[-1]["created_at"], page[-1]["delivery_id"]) if more else None


def _context(tenant_id: str, endpoint_id: str, version: int) -> bytes:
    return f"simulacra webhook secret\n{tenant_id}\n{endpoint_id}\n{version}".encode()
