"""Migrations: what they build is what infra/control_tables.py declares, old SQLite files are adopted, and an
unmigrated PostgreSQL database is refused with what to do."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from simulacra.infra import migrate
from simulacra.infra.control_tables import (
    claim_tokens,
    clients,
    idempotency,
    metadata,
    webhook_endpoints,
    webhook_secrets,
)
from simulacra.infra.controldb import ControlDB, NotMigrated
from tests.postgres import PostgresServer
from tests.stack import free_port

_NOBODY = "postgresql://simulacra:hunter2@127.0.0.1:{}/simulacra"  # a port nothing listens on

# The control database as the last release before migrations made it, with a client, a record and a
# claim token: the first schema (no late columns), as a data directory from then still holds it.
_BEFORE_MIGRATIONS = """
CREATE TABLE clients (client_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, secret_hash TEXT, scopes TEXT NOT NULL,
    created_at REAL NOT NULL);
CREATE TABLE claim_tokens (token_sha256 TEXT PRIMARY KEY, client_id TEXT NOT NULL REFERENCES clients(client_id),
    expires_at REAL NOT NULL, consumed_at REAL);
CREATE TABLE rotations (rotation_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients(client_id), idempotency_key TEXT NOT NULL, fingerprint TEXT NOT NULL,
    requested_by TEXT NOT NULL, created_at REAL NOT NULL, expires_at REAL NOT NULL,
    UNIQUE (tenant_id, idempotency_key));
CREATE INDEX rotations_by_client ON rotations (client_id, created_at);
CREATE TABLE signups (request_id TEXT PRIMARY KEY, company TEXT NOT NULL, contact_email TEXT NOT NULL,
    contact_name TEXT, status TEXT NOT NULL, tenant_id TEXT, client_id TEXT, reason TEXT, created_at REAL NOT NULL,
    decided_at REAL, decided_by TEXT);
CREATE TABLE idempotency (tenant_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, state TEXT NOT NULL,
    status_code INTEGER, body BLOB, headers TEXT, created_at REAL NOT NULL, lease_until REAL NOT NULL,
    PRIMARY KEY (tenant_id, key));
CREATE TABLE usage (generation_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, period TEXT NOT NULL,
    rows_reserved INTEGER NOT NULL, rows_generated INTEGER, state TEXT NOT NULL, created_at REAL NOT NULL,
    settled_at REAL);
CREATE INDEX usage_by_tenant ON usage (tenant_id, period);
CREATE TABLE row_windows (tenant_id TEXT PRIMARY KEY, rows_per_period INTEGER NOT NULL);
CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, actor TEXT NOT NULL,
    tenant_id TEXT NOT NULL, action TEXT NOT NULL, outcome TEXT NOT NULL, request_id TEXT, detail TEXT NOT NULL);
CREATE INDEX audit_by_tenant ON audit (tenant_id, at);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
INSERT INTO clients VALUES ('cl_old', 'acme', NULL, 'datasets:read', 1.0);
INSERT INTO claim_tokens VALUES ('digest', 'cl_old', 2.0, NULL);
INSERT INTO idempotency VALUES ('acme', 'k', 'f', 'done', 202, x'7b7d', '{}', 1.0, 1.0);
"""

# What the release that brought webhooks added at start (before migrations), with an endpoint and its secret,
# and a client made before webhooks with every scope of its time. Its other two webhook tables are left out
# here, to be created by the migration.
_WEBHOOK_RELEASE = """
CREATE TABLE webhook_endpoints (endpoint_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, url TEXT NOT NULL,
    event_types TEXT NOT NULL, description TEXT, idempotency_key TEXT NOT NULL, fingerprint TEXT NOT NULL,
    created_at REAL NOT NULL, UNIQUE (tenant_id, idempotency_key));
CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints (tenant_id, created_at);
CREATE TABLE webhook_secrets (endpoint_id TEXT NOT NULL, version INTEGER NOT NULL, tenant_id TEXT NOT NULL,
    kek_id TEXT NOT NULL, wrapped_secret TEXT NOT NULL, created_at REAL NOT NULL, retires_at REAL,
    idempotency_key TEXT, fingerprint TEXT, PRIMARY KEY (endpoint_id, version), UNIQUE (tenant_id, idempotency_key));
INSERT INTO webhook_endpoints VALUES ('whe_old', 'acme', 'https://hooks.example.com/x', 'job.failed', NULL, 'k',
    'f', 1.0);
INSERT INTO webhook_secrets VALUES ('whe_old', 1, 'acme', 'kek', 'd3JhcHBlZA==', 1.0, NULL, NULL, NULL);
INSERT INTO clients VALUES ('cl_full', 'acme', NULL, 'datasets:write datasets:read generations:write generations:read',
    1.0);
INSERT INTO clients VALUES ('cl_admin', 'acme', NULL,
    'datasets:write datasets:read generations:write generations:read webhooks:read admin', 1.0);
"""


def _drift(db: ControlDB) -> list[object]:
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata)


def test_migrations_build_exactly_the_declared_tables(control_db: ControlDB) -> None:
    assert _drift(control_db) == []
    assert migrate.current(control_db.engine) == migrate.head()


def test_a_sqlite_file_from_before_migrations_is_adopted_with_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "control.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(_BEFORE_MIGRATIONS)
    db = ControlDB(path)
    assert migrate.current(db.engine) == migrate.head()
    # Every table, column and index is there (additions and removals come as tuples); only modifications are
    # reported, which are SQLite's type names (REAL for FLOAT, same affinity) and its primary keys that allow NULL.
    assert [d for d in _drift(db) if isinstance(d, tuple)] == []
    with db.connect() as conn:
        assert conn.execute(select(clients.c.client_id, clients.c.revoked_at)).all() == [("cl_old", None)]
        assert conn.execute(select(idempotency.c.owner, idempotency.c.body)).all() == [(None, b"{}")]
        assert conn.execute(select(claim_tokens.c.kind, claim_tokens.c.ref_id)).all() == [("client", None)]
        # A client limited to fewer than every pre-webhook scope is not given the webhook ones.
        assert conn.execute(select(clients.c.scopes)).scalars().all() == ["datasets:read"]
    with sqlite3.connect(path) as conn:
        triggers = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"audit_no_update", "audit_no_delete"} <= triggers


def test_a_sqlite_file_from_the_webhook_release_keeps_its_webhooks_and_old_clients_get_their_scopes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "control.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(_BEFORE_MIGRATIONS + _WEBHOOK_RELEASE)
    db = ControlDB(path)
    assert migrate.current(db.engine) == migrate.head()
    assert [d for d in _drift(db) if isinstance(d, tuple)] == []
    with db.connect() as conn:
        assert conn.execute(select(webhook_endpoints.c.endpoint_id)).scalars().all() == ["whe_old"]
        assert conn.execute(select(webhook_secrets.c.wrapped_secret)).scalars().all() == ["d3JhcHBlZA=="]
        scopes = dict(conn.execute(select(clients.c.client_id, clients.c.scopes)).tuples().all())
    before = "datasets:write datasets:read generations:write generations:read"
    assert scopes == {
        "cl_old": "datasets:read",
        "cl_full": f"{before} webhooks:read webhooks:write",
        "cl_admin": f"{before} webhooks:read admin webhooks:write",  # only what it lacked, added at the end
    }


def test_an_unmigrated_postgresql_database_is_refused_until_migrated(postgres: PostgresServer) -> None:
    url = postgres.create_database()
    with pytest.raises(NotMigrated, match="run `simulacra admin migrate`") as refused:
        ControlDB(url)
    assert "none" in str(refused.value)
    unchecked = ControlDB(url, check=False)
    assert inspect(unchecked.engine).get_table_names() == []  # refusing left no half-made schema
    assert migrate.upgrade(unchecked.engine) == (None, migrate.head())
    assert migrate.upgrade(unchecked.engine) == (migrate.head(), migrate.head())
    unchecked.engine.dispose()
    db = ControlDB(url)
    assert _drift(db) == []
    db.close()


def test_an_unreachable_database_stops_the_command_naming_the_setting(tmp_path: Path) -> None:
    env = {**os.environ, "SIMULACRA_DATA_DIR": str(tmp_path), "SIMULACRA_CONTROL_DB": _NOBODY.format(free_port())}
    stopped = subprocess.run(
        [sys.executable, "-m", "simulacra.infra.cli", "admin", "migrate"], env=env, capture_output=True, text=True
    )
    assert stopped.returncode == 1 and "Traceback" not in stopped.stderr, stopped.stderr
    assert stopped.stderr.startswith("SIMULACRA_CONTROL_DB: the control database cannot be used: ")
    assert "hunter2" not in stopped.stderr  # never the password
