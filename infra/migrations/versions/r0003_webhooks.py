"""Webhooks: their four tables, and the webhook scopes for the clients that had every other scope before them.

A SQLite file made by the release that brought webhooks (before they moved into migrations) already has
the tables: they are kept as they are. Clients created before webhooks were given every non-admin scope
of the time, which did not include the webhook ones, so they could never use webhooks; a client holding
all four of those scopes is granted both webhook scopes here. A client an operator limited to fewer is
left as it was.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps meaning what it meant when it was written.
_EVERY_SCOPE_BEFORE_WEBHOOKS = frozenset({"datasets:read", "datasets:write", "generations:read", "generations:write"})
_WEBHOOK_SCOPES = ("webhooks:read", "webhooks:write")


def upgrade() -> None:
    bind = op.get_bind()
    present = set(sa.inspect(bind).get_table_names())
    if "webhook_endpoints" not in present:
        _create_endpoints()
    if "webhook_secrets" not in present:
        _create_secrets()
    if "webhook_deliveries" not in present:
        _create_deliveries()
    if "webhook_attempts" not in present:
        _create_attempts()
    _grant_webhook_scopes(bind)


def _create_endpoints() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("endpoint_id", sa.Text, primary_key=True),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("event_types", sa.Text, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("idempotency_key", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("tenant_id", "idempotency_key"),
    )
    op.create_index("webhook_endpoints_by_tenant", "webhook_endpoints", ["tenant_id", "created_at"])


def _create_secrets() -> None:
    op.create_table(
        "webhook_secrets",
        sa.Column("endpoint_id", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("kek_id", sa.Text, nullable=False),
        sa.Column("wrapped_secret", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("retires_at", sa.Float),
        sa.Column("idempotency_key", sa.Text),
        sa.Column("fingerprint", sa.Text),
        sa.PrimaryKeyConstraint("endpoint_id", "version"),
        sa.UniqueConstraint("tenant_id", "idempotency_key"),
    )


def _create_deliveries() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("delivery_id", sa.Text, primary_key=True),
        sa.Column("endpoint_id", sa.Text, nullable=False),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float),
    )
    op.create_index("webhook_deliveries_by_endpoint", "webhook_deliveries", ["endpoint_id", "created_at"])


def _create_attempts() -> None:
    op.create_table(
        "webhook_attempts",
        sa.Column("delivery_id", sa.Text, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("delivery_id", "attempt"),
    )


def _grant_webhook_scopes(bind: sa.Connection) -> None:
    clients = sa.table("clients", sa.column("client_id", sa.Text), sa.column("scopes", sa.Text))
    for client_id, scopes in bind.execute(sa.select(clients.c.client_id, clients.c.scopes)).all():
        held = scopes.split()
        missing = [scope for scope in _WEBHOOK_SCOPES if scope not in held]
        if missing and _EVERY_SCOPE_BEFORE_WEBHOOKS <= set(held):
            bind.execute(
                sa.update(clients).where(clients.c.client_id == client_id).values(scopes=" ".join([*held, *missing]))
            )
