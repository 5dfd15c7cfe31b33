"""Baseline: the control database as it was before versioned migrations (clients to audit).

A SQLite file made before migrations existed already holds these tables, perhaps without the columns
added in later releases: it is adopted (missing columns and the claim-token index added) instead of
created, and then carries on with the later revisions like any other database.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# What releases before migrations added to their first schema, with the types they declared.
_LATE_COLUMNS = {
    "clients": {"previous_secret_hash": "TEXT", "previous_valid_until": "REAL", "revoked_at": "REAL"},
    "claim_tokens": {"kind": "TEXT NOT NULL DEFAULT 'client'", "ref_id": "TEXT"},
    "idempotency": {"owner": "TEXT"},
}

_SQLITE_APPEND_ONLY = [
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END",
]
_POSTGRESQL_APPEND_ONLY = [
    "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
    " $$ BEGIN RAISE EXCEPTION 'audit is append-only'; END $$",
    "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
]


def upgrade() -> None:
    bind = op.get_bind()
    if sa.inspect(bind).has_table("clients"):
        _adopt(bind)
    else:
        _create()
    for statement in _POSTGRESQL_APPEND_ONLY if bind.dialect.name == "postgresql" else _SQLITE_APPEND_ONLY:
        op.execute(statement)


def _adopt(bind: sa.Connection) -> None:
    inspector = sa.inspect(bind)
    for table, columns in _LATE_COLUMNS.items():
        present = {column["name"] for column in inspector.get_columns(table)}
        for name, kind in columns.items():
            if name not in present:
                op.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
    op.execute("CREATE UNIQUE INDEX IF NOT EXISTS claim_tokens_by_ref ON claim_tokens (kind, ref_id)")


def _create() -> None:
    text, real = sa.Text, sa.Float
    op.create_table(
        "clients",
        sa.Column("client_id", text, primary_key=True),
        sa.Column("tenant_id", text, nullable=False),
        sa.Column("secret_hash", text),
        sa.Column("scopes", text, nullable=False),
        sa.Column("created_at", real, nullable=False),
        sa.Column("previous_secret_hash", text),
        sa.Column("previous_valid_until", real),
        sa.Column("revoked_at", real),
    )
    op.create_table(
        "claim_tokens",
        sa.Column("token_sha256", text, primary_key=True),
        sa.Column("client_id", text, sa.ForeignKey("clients.client_id"), nullable=False),
        sa.Column("expires_at", real, nullable=False),
        sa.Column("consumed_at", real),
        sa.Column("kind", text, nullable=False, server_default="client"),
        sa.Column("ref_id", text),
    )
    op.create_index("claim_tokens_by_ref", "claim_tokens", ["kind", "ref_id"], unique=True)
    op.create_table(
        "rotations",
        sa.Column("rotation_id", text, primary_key=True),
        sa.Column("tenant_id", text, nullable=False),
        sa.Column("client_id", text, sa.ForeignKey("clients.client_id"), nullable=False),
        sa.Column("idempotency_key", text, nullable=False),
        sa.Column("fingerprint", text, nullable=False),
        sa.Column("requested_by", text, nullable=False),
        sa.Column("created_at", real, nullable=False),
        sa.Column("expires_at", real, nullable=False),
        sa.UniqueConstraint("tenant_id", "idempotency_key"),
    )
    op.create_index("rotations_by_client", "rotations", ["client_id", "created_at"])
    op.create_table(
        "signups",
        sa.Column("request_id", text, primary_key=True),
        sa.Column("company", text, nullable=False),
        sa.Column("contact_email", text, nullable=False),
        sa.Column("contact_name", text),
        sa.Column("status", text, nullable=False),
        sa.Column("tenant_id", text),
        sa.Column("client_id", text),
        sa.Column("reason", text),
        sa.Column("created_at", real, nullable=False),
        sa.Column("decided_at", real),
        sa.Column("decided_by", text),
    )
    op.create_table(
        "idempotency",
        sa.Column("tenant_id", text, nullable=False),
        sa.Column("key", text, nullable=False),
        sa.Column("fingerprint", text, nullable=False),
        sa.Column("state", text, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("body", sa.LargeBinary),
        sa.Column("headers", text),
        sa.Column("created_at", real, nullable=False),
        sa.Column("lease_until", real, nullable=False),
        sa.Column("owner", text),
        sa.PrimaryKeyConstraint("tenant_id", "key"),
    )
    op.create_table(
        "usage",
        sa.Column("generation_id", text, primary_key=True),
        sa.Column("tenant_id", text, nullable=False),
        sa.Column("period", text, nullable=False),
        sa.Column("rows_reserved", sa.BigInteger, nullable=False),
        sa.Column("rows_generated", sa.BigInteger),
        sa.Column("state", text, nullable=False),
        sa.Column("created_at", real, nullable=False),
        sa.Column("settled_at", real),
    )
    op.create_index("usage_by_tenant", "usage", ["tenant_id", "period"])
    op.create_table(
        "row_windows",
        sa.Column("tenant_id", text, primary_key=True),
        sa.Column("rows_per_period", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("at", real, nullable=False),
        sa.Column("actor", text, nullable=False),
        sa.Column("tenant_id", text, nullable=False),
        sa.Column("action", text, nullable=False),
        sa.Column("outcome", text, nullable=False),
        sa.Column("request_id", text),
        sa.Column("detail", text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("audit_by_tenant", "audit", ["tenant_id", "at"])
