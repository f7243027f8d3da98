"""initial: the organisation's people

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

from smo_cli.db.types import UTCDateTime

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", AutoString(length=254), nullable=False),
        sa.Column("name", AutoString(length=200), nullable=False),
        sa.Column("department", AutoString(length=40), nullable=True),
        sa.Column("role", AutoString(length=100), nullable=True),
        sa.Column("manager_email", AutoString(length=254), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("person") as batch_op:
        batch_op.create_index("ix_person_department", ["department"], unique=False)
        batch_op.create_index("ix_person_email", ["email"], unique=True)


def downgrade() -> None:
    op.drop_table("person")
