"""people programme: training sessions, invitations and completions; awareness campaigns,
deliveries, surveys and responses

Revision ID: 0009_people_programme
Revises: 0008_policy_acks
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from smo_cli.db.types import UTCDateTime

revision: str = "0009_people_programme"
down_revision: str | None = "0008_policy_acks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "training_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course", sa.String(length=60), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("trainer", sa.String(length=254), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("uid", sa.String(length=200), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
    )
    op.create_index("ix_training_session_course", "training_session", ["course"])
    op.create_index("ix_training_session_starts_at", "training_session", ["starts_at"])
    op.create_table(
        "training_invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("invited_at", UTCDateTime(), nullable=False),
        sa.Column("outbox_key", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["training_session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "email", name="uq_training_invite"),
    )
    op.create_index("ix_training_invite_email", "training_invite", ["email"])
    op.create_index("ix_training_invite_session_id", "training_invite", ["session_id"])
    op.create_table(
        "training_completion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course", sa.String(length=60), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["training_session.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("course", "email", "completed_on", name="uq_training_completion"),
    )
    op.create_index("ix_training_completion_course", "training_completion", ["course"])
    op.create_index("ix_training_completion_email", "training_completion", ["email"])
    op.create_table(
        "awareness_campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "campaign_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("outbox_key", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["awareness_campaign.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "email", name="uq_campaign_delivery"),
    )
    op.create_index("ix_campaign_delivery_campaign_id", "campaign_delivery", ["campaign_id"])
    op.create_index("ix_campaign_delivery_email", "campaign_delivery", ["email"])
    op.create_table(
        "survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "survey_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("respondent", sa.String(length=254), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("survey_id", "respondent", name="uq_survey_response"),
    )
    op.create_index("ix_survey_response_department", "survey_response", ["department"])
    op.create_index("ix_survey_response_survey_id", "survey_response", ["survey_id"])


def downgrade() -> None:
    for table in ("survey_response", "survey", "campaign_delivery", "awareness_campaign",
                  "training_completion", "training_invite", "training_session"):
        op.drop_table(table)
