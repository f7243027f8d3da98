"""Conversation and personal practice (jobs 8 and 10): posts and their per-account publication,
engagement snapshots, the officer's practice log and learning goals."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from smo_cli.db.types import UTCDateTime, utcnow


class Post(SQLModel, table=True):
    """A post on the content calendar: draft → scheduled → publishing → published | failed,
    or cancelled. One post may go to several accounts (one PostDelivery each).

    `publishing` is claimed by one run (`claimed_at`); a retryable failure puts the post back
    to `scheduled` with `retry_at`. `reply_url` is the post answered (a link or at:// URI),
    `reply_to` the inbox item it came from, if any."""

    __tablename__ = "post"

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_type=Text)
    accounts: list[str] = Field(default_factory=list, sa_type=JSON)    # engage account names
    media: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)  # path, alt
    state: str = Field(default="draft", sa_type=String(12), index=True)
    scheduled_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    reply_to: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("assignment.id", ondelete="SET NULL"), nullable=True))
    reply_url: str | None = Field(default=None, max_length=2000)
    lang: str | None = Field(default=None, max_length=10)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    last_error: str | None = Field(default=None, max_length=1000)
    retry_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PostDelivery(SQLModel, table=True):
    """One post on one account: the platform's id for it once published. The idempotency key
    is sent with the request, so a retry after a crash cannot post twice where the platform
    honours it (Mastodon); `started_at`, the first attempt's time, is Bluesky's createdAt and
    record key, so a retry can look for the first attempt's record.

    pending → sending → published | retry | failed; `sending` is committed before the request
    goes out, so a crash leaves a trace."""

    __tablename__ = "post_delivery"
    __table_args__ = (UniqueConstraint("post_id", "account", name="uq_post_delivery"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(sa_column=Column(
        Integer, ForeignKey("post.id", ondelete="CASCADE"), nullable=False, index=True))
    account: str = Field(max_length=40)
    platform: str = Field(sa_type=String(12))
    state: str = Field(default="pending", sa_type=String(12), index=True)
    idempotency_key: str = Field(max_length=100, unique=True)
    remote_id: str | None = Field(default=None, max_length=300)
    remote_uri: str | None = Field(default=None, max_length=500)
    remote_cid: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=500)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PostStats(SQLModel, table=True):
    """Engagement of one published post at one moment (dated, so KPIs can show a trend)."""

    __tablename__ = "post_stats"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(sa_column=Column(
        Integer, ForeignKey("post_delivery.id", ondelete="CASCADE"), nullable=False,
        index=True))
    taken_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0


class PracticeEntry(SQLModel, table=True):
    """The officer's own practice log: what they tried, and what came of it."""

    __tablename__ = "practice_entry"

    id: int | None = Field(default=None, primary_key=True)
    logged_on: date = Field(sa_type=Date, index=True)
    text: str = Field(sa_type=Text)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    link: str | None = Field(default=None, max_length=500)
    outcome: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LearningGoal(SQLModel, table=True):
    __tablename__ = "learning_goal"

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(max_length=500)
    target_date: date | None = Field(default=None, sa_type=Date)
    done_on: date | None = Field(default=None, sa_type=Date)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
