"""inventory: accounts, presence targets and snapshots

Revision ID: 0002_inventory
Revises: 0001_initial
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

from smo_cli.db.types import UTCDateTime

revision: str = "0002_inventory"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("handle", AutoString(length=300), nullable=False),
        sa.Column("url", AutoString(length=2000), nullable=True),
        sa.Column("owner", AutoString(length=260), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("purpose", AutoString(length=500), nullable=True),
        sa.Column("custodian", AutoString(length=254), nullable=True),
        sa.Column("two_factor", sa.Boolean(), nullable=True),
        sa.Column("created", sa.Date(), nullable=True),
        sa.Column("notes", AutoString(), nullable=True),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "handle", name="uq_account_platform_handle"),
    )
    with op.batch_alter_table("account") as batch_op:
        batch_op.create_index("ix_account_owner", ["owner"], unique=False)
        batch_op.create_index("ix_account_platform", ["platform"], unique=False)

    op.create_table(
        "presence_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("owner", AutoString(length=260), nullable=False),
        sa.Column("required", sa.String(length=10), nullable=False),
        sa.Column("why", AutoString(length=500), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "owner", name="uq_target_platform_owner"),
    )
    op.create_table(
        "account_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("followers", sa.Integer(), nullable=True),
        sa.Column("following", sa.Integer(), nullable=True),
        sa.Column("posts", sa.Integer(), nullable=True),
        sa.Column("last_post_at", UTCDateTime(), nullable=True),
        sa.Column("final_url", AutoString(length=2000), nullable=True),
        sa.Column("detail", AutoString(length=1000), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("account_snapshot") as batch_op:
        batch_op.create_index("ix_account_snapshot_account_id", ["account_id"], unique=False)
        batch_op.create_index("ix_account_snapshot_checked_at", ["checked_at"], unique=False)


def downgrade() -> None:
    op.drop_table("account_snapshot")
    op.drop_table("presence_target")
    op.drop_table("account")
