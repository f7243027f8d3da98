"""routing: assignments (the inbox), their history, and when a mention was routed

Revision ID: 0004_routing
Revises: 0003_listening
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from smo_cli.db.types import UTCDateTime

revision: str = "0004_routing"
down_revision: str | None = "0003_listening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mention") as batch_op:
        batch_op.add_column(sa.Column("routed_at", UTCDateTime(), nullable=True))
        batch_op.create_index("ix_mention_routed_at", ["routed_at"], unique=False)
    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=True),
        sa.Column("person", sa.String(length=254), nullable=True),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("delivery", sa.String(length=10), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("sla_due_at", UTCDateTime(), nullable=True),
        sa.Column("snoozed_until", UTCDateTime(), nullable=True),
        sa.Column("responded_at", UTCDateTime(), nullable=True),
        sa.Column("responded_by", sa.String(length=254), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["mention_id"], ["mention.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mention_id", "rule_id", name="uq_assignment_rule"),
    )
    with op.batch_alter_table("assignment") as batch_op:
        batch_op.create_index("ix_assignment_mention_id", ["mention_id"], unique=False)
        batch_op.create_index("ix_assignment_department", ["department"], unique=False)
        batch_op.create_index("ix_assignment_person", ["person"], unique=False)
        batch_op.create_index("ix_assignment_state", ["state"], unique=False)
        batch_op.create_index("ix_assignment_sla_due_at", ["sla_due_at"], unique=False)
    op.create_table(
        "assignment_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("assignment_event") as batch_op:
        batch_op.create_index("ix_assignment_event_assignment_id", ["assignment_id"],
                              unique=False)


def downgrade() -> None:
    op.drop_table("assignment_event")
    op.drop_table("assignment")
    with op.batch_alter_table("mention") as batch_op:
        batch_op.drop_index("ix_mention_routed_at")
        batch_op.drop_column("routed_at")
