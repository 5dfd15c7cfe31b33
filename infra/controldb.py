"""The embedded control database (SQLite): clients, claim tokens, idempotency, usage, audit.

SQLite because it ships with Python, survives restarts in one file under the data
directory, and serialises the few writes we make (claims, idempotency) with real
transactions; WAL lets the API, the CLI and the worker read concurrently.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from simulacra.infra.webhook_schema import WEBHOOK_SCHEMA

_SCHEMA = """
CREATE TABLE IF NOT EXISTS clients (
    client_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    secret_hash TEXT,
    scopes TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS claim_tokens (
    token_sha256 TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients(client_id),
    expires_at REAL NOT NULL,
    consumed_at REAL
);
CREATE TABLE IF NOT EXISTS rotations (
    rotation_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients(client_id),
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX IF NOT EXISTS rotations_by_client ON rotations (client_id, created_at);
CREATE TABLE IF NOT EXISTS signups (
    request_id TEXT PRIMARY KEY,
    company TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    contact_name TEXT,
    status TEXT NOT NULL,
    tenant_id TEXT,
    client_id TEXT,
    reason TEXT,
    created_at REAL NOT NULL,
    decided_at REAL,
    decided_by TEXT
);
CREATE TABLE IF NOT EXISTS idempotency (
    tenant_id TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL,
    status_code INTEGER,
    body BLOB,
    headers TEXT,
    created_at REAL NOT NULL,
    lease_until REAL NOT NULL,
    owner TEXT,
    PRIMARY KEY (tenant_id, key)
);
CREATE TABLE IF NOT EXISTS usage (
    generation_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    period TEXT NOT NULL,
    rows_reserved INTEGER NOT NULL,
    rows_generated INTEGER,
    state TEXT NOT NULL,
    created_at REAL NOT NULL,
    settled_at REAL
);
CREATE INDEX IF NOT EXISTS usage_by_tenant ON usage (tenant_id, period);
CREATE TABLE IF NOT EXISTS row_windows (
    tenant_id TEXT PRIMARY KEY,
    rows_per_period INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    request_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_tenant ON audit (tenant_id, at);
-- Append-only: the audit trail cannot be edited through this database.
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
"""


# Columns added after the first release: created on databases made before them (SQLite cannot say
# ADD COLUMN IF NOT EXISTS).
_ADDED_COLUMNS = {
    "clients": {"previous_secret_hash": "TEXT", "previous_valid_until": "REAL", "revoked_at": "REAL"},
    "claim_tokens": {"kind": "TEXT NOT NULL DEFAULT 'client'", "ref_id": "TEXT"},
    "idempotency": {"owner": "TEXT"},
}


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    for table, columns in _ADDED_COLUMNS.items():
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        for name, kind in columns.items():
            if name in present:
                continue
            try:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
            except sqlite3.OperationalError as exc:  # another process starting at the same moment added it
                if "duplicate column" not in str(exc):
                    raise


class ControlDB:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=10)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA + WEBHOOK_SCHEMA)
            with conn:
                _add_missing_columns(conn)
                # One claim token per signup or rotation, found by it (client tokens have no ref_id).
                conn.execute("CREATE UNIQUE INDEX IF NOT EXISTS claim_tokens_by_ref ON claim_tokens (kind, ref_id)")
        finally:
            conn.close()

    @contextlib.contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """One short transaction: committed on success, rolled back on error."""
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()
