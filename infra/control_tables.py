"""Every table of the control database, in one place: what the stores query and what migrations must reach.

A change here needs a migration in infra/migrations/versions/ that takes a database at the previous head
to this shape (tests/infra/test_controldb_schema.py compares the two on both dialects). Times are unix
seconds (floats), as everywhere in the control plane; row counts are 64-bit.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# SQLite numbers rows itself only for a column declared exactly INTEGER PRIMARY KEY.
_ROW_ID = BigInteger().with_variant(Integer(), "sqlite")

clients = Table(
    "clients",
    metadata,
    Column("client_id", Text, primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("secret_hash", Text),
    Column("scopes", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("previous_secret_hash", Text),
    Column("previous_valid_until", Float),
    Column("revoked_at", Float),
)

claim_tokens = Table(
    "claim_tokens",
    metadata,
    Column("token_sha256", Text, primary_key=True),
    Column("client_id", Text, ForeignKey("clients.client_id"), nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("consumed_at", Float),
    Column("kind", Text, nullable=False, server_default="client"),
    Column("ref_id", Text),
    # One claim token per signup or rotation, found by it (client tokens have no ref_id).
    Index("claim_tokens_by_ref", "kind", "ref_id", unique=True),
)

rotations = Table(
    "rotations",
    metadata,
    Column("rotation_id", Text, primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("client_id", Text, ForeignKey("clients.client_id"), nullable=False),
    Column("idempotency_key", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("requested_by", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    UniqueConstraint("tenant_id", "idempotency_key"),
    Index("rotations_by_client", "client_id", "created_at"),
)

signups = Table(
    "signups",
    metadata,
    Column("request_id", Text, primary_key=True),
    Column("company", Text, nullable=False),
    Column("contact_email", Text, nullable=False),
    Column("contact_name", Text),
    Column("status", Text, nullable=False),
    Column("tenant_id", Text),
    Column("client_id", Text),
    Column("reason", Text),
    Column("created_at", Float, nullable=False),
    Column("decided_at", Float),
    Column("decided_by", Text),
)

idempotency = Table(
    "idempotency",
    metadata,
    Column("tenant_id", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("status_code", Integer),
    Column("body", LargeBinary),
    Column("headers", Text),
    Column("created_at", Float, nullable=False),
    Column("lease_until", Float, nullable=False),
    Column("owner", Text),
    PrimaryKeyConstraint("tenant_id", "key"),
    Index("idempotency_by_age", "created_at"),  # the 24-hour expiry deletes by age on every claim
)

usage = Table(
    "usage",
    metadata,
    Column("generation_id", Text, primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("rows_reserved", BigInteger, nullable=False),
    Column("rows_generated", BigInteger),
    Column("state", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("settled_at", Float),
    Index("usage_by_tenant", "tenant_id", "period"),
)

row_windows = Table(
    "row_windows",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("rows_per_period", BigInteger, nullable=False),
)

# Append-only: triggers on both dialects refuse UPDATE and DELETE (see the baseline migration).
audit = Table(
    "audit",
    metadata,
    Column("id", _ROW_ID, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("actor", Text, nullable=False),
    Column("tenant_id", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("request_id", Text),
    Column("detail", Text, nullable=False),
    Index("audit_by_tenant", "tenant_id", "at"),
    sqlite_autoincrement=True,
)

# One row per limited bucket (a tenant, or an address on an open endpoint): the generic cell rate algorithm's
# "theoretical arrival time", moved on by one UPSERT per request, so every API replica counts against one limit.
rate_limits = Table(
    "rate_limits",
    metadata,
    Column("bucket", Text, primary_key=True),
    Column("tat", Float, nullable=False),
    Column("allowed", Integer, nullable=False),  # whether the request that last wrote the row was let through
    Index("rate_limits_by_tat", "tat"),
)

# The embedded issuer's RS256 keys, private halves sealed under the KEK (infra/sealed.py).
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("created_ms", BigInteger, primary_key=True, autoincrement=False),
    Column("kek_id", Text, nullable=False),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("sealed_pem", LargeBinary, nullable=False),
)

# Small server secrets every API replica must share (claim-token and URL-signing HMAC keys), sealed too.
shared_secrets = Table(
    "shared_secrets",
    metadata,
    Column("name", Text, primary_key=True),
    Column("kek_id", Text, nullable=False),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("sealed", LargeBinary, nullable=False),
)

# Webhook endpoints (infra/webhook_store.py). Creation and rotation are idempotent through these rows' keys,
# so no stored response ever holds a secret; the secrets are kept only wrapped by the KEK.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("endpoint_id", Text, primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("event_types", Text, nullable=False),  # space-separated, as clients' scopes
    Column("description", Text),
    Column("idempotency_key", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("tenant_id", "idempotency_key"),
    Index("webhook_endpoints_by_tenant", "tenant_id", "created_at"),
)

webhook_secrets = Table(
    "webhook_secrets",
    metadata,
    Column("endpoint_id", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("tenant_id", Text, nullable=False),
    Column("kek_id", Text, nullable=False),
    Column("wrapped_secret", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("retires_at", Float),
    Column("idempotency_key", Text),  # the rotation's; none on the endpoint's first secret
    Column("fingerprint", Text),
    PrimaryKeyConstraint("endpoint_id", "version"),
    UniqueConstraint("tenant_id", "idempotency_key"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("delivery_id", Text, primary_key=True),
    Column("endpoint_id", Text, nullable=False),
    Column("tenant_id", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float),
    Index("webhook_deliveries_by_endpoint", "endpoint_id", "created_at"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("delivery_id", Text, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", Float, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    PrimaryKeyConstraint("delivery_id", "attempt"),
)
