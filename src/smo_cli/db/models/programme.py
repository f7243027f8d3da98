"""The people programme (jobs 1 and 5): training sessions, invitations and completions; awareness
campaigns, who received them, and survey responses.

Course and questionnaire definitions live in the workspace's YAML files (training.yaml, survey
files); the database keeps what happened: sessions planned, people invited, people trained,
messages sent, answers given.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from smo_cli.db.types import UTCDateTime, utcnow


class TrainingSession(SQLModel, table=True):
    """One planned session of a course. `uid` stays the same for the session's life, and
    `sequence` grows with every change, so a calendar replaces the entry it already has."""

    __tablename__ = "training_session"

    id: int | None = Field(default=None, primary_key=True)
    course: str = Field(max_length=60, index=True)
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    location: str = Field(max_length=300)
    trainer: str | None = Field(default=None, max_length=254)
    capacity: int | None = None
    uid: str = Field(max_length=200, unique=True)
    sequence: int = 0
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TrainingInvite(SQLModel, table=True):
    """Who was invited to which session (once; a changed session sends an update)."""

    __tablename__ = "training_invite"
    __table_args__ = (UniqueConstraint("session_id", "email", name="uq_training_invite"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(sa_column=Column(
        Integer, ForeignKey("training_session.id", ondelete="CASCADE"), nullable=False,
        index=True))
    email: str = Field(max_length=254, index=True)
    sequence: int = 0                       # the session's sequence the invitation carried
    invited_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    outbox_key: str | None = Field(default=None, max_length=100)


class TrainingCompletion(SQLModel, table=True):
    """A person completed a course on a day (at a session, or recorded from elsewhere).
    Kept by e-mail address, so it survives the person being removed and imported again."""

    __tablename__ = "training_completion"
    __table_args__ = (UniqueConstraint("course", "email", "completed_on",
                                       name="uq_training_completion"),)

    id: int | None = Field(default=None, primary_key=True)
    course: str = Field(max_length=60, index=True)
    email: str = Field(max_length=254, index=True)
    completed_on: date = Field(sa_type=Date)
    session_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("training_session.id", ondelete="SET NULL"), nullable=True))
    source: str = Field(default="cli", max_length=200)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AwarenessCampaign(SQLModel, table=True):
    """A message to employees made from a template (kick-off, policy launch, tip, newsletter)."""

    __tablename__ = "awareness_campaign"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, unique=True)
    kind: str = Field(sa_type=String(20))
    lang: str = Field(sa_type=String(5))
    subject: str = Field(max_length=300)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CampaignDelivery(SQLModel, table=True):
    """One person received one campaign; the unique pair is what keeps it to once."""

    __tablename__ = "campaign_delivery"
    __table_args__ = (UniqueConstraint("campaign_id", "email", name="uq_campaign_delivery"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(sa_column=Column(
        Integer, ForeignKey("awareness_campaign.id", ondelete="CASCADE"), nullable=False,
        index=True))
    email: str = Field(max_length=254, index=True)
    department: str | None = Field(default=None, max_length=40)
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    outbox_key: str | None = Field(default=None, max_length=100)


class Survey(SQLModel, table=True):
    """A questionnaire (knowledge, attitude, behaviour; Likert scales) as it was when opened."""

    __tablename__ = "survey"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, unique=True)
    title: str = Field(max_length=300)
    questions: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    opened_on: date = Field(sa_type=Date)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SurveyResponse(SQLModel, table=True):
    """One respondent's answers to one survey (question id → value)."""

    __tablename__ = "survey_response"
    __table_args__ = (UniqueConstraint("survey_id", "respondent", name="uq_survey_response"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(sa_column=Column(
        Integer, ForeignKey("survey.id", ondelete="CASCADE"), nullable=False, index=True))
    respondent: str = Field(max_length=254)           # an e-mail address or an anonymous id
    department: str | None = Field(default=None, max_length=40, index=True)
    submitted_on: date = Field(sa_type=Date)
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
