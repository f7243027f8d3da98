"""kpi: manual metric values, costs and value for ROI

Revision ID: 0011_kpi
Revises: 0010_engage
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from smo_cli.db.types import UTCDateTime

revision: str = "0011_kpi"
down_revision: str | None = "0010_engage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kpi_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", "recorded_on", name="uq_kpi_record_day"),
    )
    op.create_index("ix_kpi_record_key", "kpi_record", ["key"])
    op.create_index("ix_kpi_record_recorded_on", "kpi_record", ["recorded_on"])
    op.create_table(
        "cost_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.Column("rate", sa.Float(), nullable=True),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cost_entry_spent_on", "cost_entry", ["spent_on"])
    op.create_table(
        "value_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gained_on", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.Column("unit_value", sa.Float(), nullable=True),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_value_entry_gained_on", "value_entry", ["gained_on"])


def downgrade() -> None:
    for table in ("value_entry", "cost_entry", "kpi_record"):
        op.drop_table(table)
