"""What API replicas share beyond the first schema: rate-limit windows, signing keys, server secrets.

Also an index for the idempotency records' expiry, which deletes by age on every claim.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("idempotency_by_age", "idempotency", ["created_at"])
    op.create_table(
        "rate_limits",
        sa.Column("bucket", sa.Text, primary_key=True),
        sa.Column("tat", sa.Float, nullable=False),
        sa.Column("allowed", sa.Integer, nullable=False),
    )
    op.create_index("rate_limits_by_tat", "rate_limits", ["tat"])
    op.create_table(
        "signing_keys",
        sa.Column("created_ms", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kek_id", sa.Text, nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
        sa.Column("sealed_pem", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "shared_secrets",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("kek_id", sa.Text, nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
    )
