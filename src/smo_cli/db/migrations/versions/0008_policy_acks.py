"""policy acknowledgements: who acknowledged which published version, and when

Revision ID: 0008_policy_acks
Revises: 0007_policy_versions
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from smo_cli.db.types import UTCDateTime

revision: str = "0008_policy_acks"
down_revision: str | None = "0007_policy_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policy_ack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("acknowledged_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email", "lang", "version", name="uq_policy_ack"),
    )
    op.create_index("ix_policy_ack_email", "policy_ack", ["email"])


def downgrade() -> None:
    op.drop_index("ix_policy_ack_email", table_name="policy_ack")
    op.drop_table("policy_ack")
