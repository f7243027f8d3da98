"""Listening (job 6): sources, the mentions they bring, which queries matched, and run records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from smo_cli.db.types import UTCDateTime, utcnow


class Source(SQLModel, table=True):
    __tablename__ = "source"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    kind: str = Field(sa_type=String(20))
    base_url: str | None = Field(default=None, max_length=2000)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    poll_minutes: int = 15
    allow_private: bool = False
    keep_all: bool = False
    enabled: bool = True
    suspended: bool = False                 # after repeated failures; `enable` clears it
    disabled_reason: str | None = Field(default=None, max_length=300)
    failures: int = 0                       # consecutive real failures
    state: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # etag, cursors, ...
    last_fetched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SavedQuery(SQLModel, table=True):
    __tablename__ = "saved_query"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    group: str = Field(default="other", sa_type=String(20))
    text: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Mention(SQLModel, table=True):
    __tablename__ = "mention"
    # With the sentiment in them, the KPI counts of a period's mentions per sentiment read these
    # indexes alone (services/kpi_figures.py: published in the window, or unpublished and first
    # seen in it); migration 0012_kpi_indexes.
    __table_args__ = (
        Index("ix_mention_published_sentiment", "published_at", "sentiment"),
        Index("ix_mention_seen_published_sentiment", "first_seen_at", "published_at",
              "sentiment"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("source.id", ondelete="SET NULL"), index=True),
    )
    source_name: str = Field(max_length=100)
    dedup_key: str = Field(max_length=600, unique=True, index=True)
    external_id: str | None = Field(default=None, max_length=500)
    url: str | None = Field(default=None, max_length=2000)
    author: str | None = Field(default=None, max_length=300)
    title: str | None = Field(default=None, max_length=1000)
    text: str = Field(sa_type=Text)
    hashtags: list[str] = Field(default_factory=list, sa_type=JSON)
    lang: str | None = Field(default=None, max_length=10)
    sentiment: str | None = Field(default=None, sa_type=String(10))
    sentiment_score: float | None = None
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    published_note: str | None = Field(default=None, sa_type=String(10))  # missing | future
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    content_hash: str = Field(max_length=64)
    routed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


class MentionQuery(SQLModel, table=True):
    __tablename__ = "mention_query"

    mention_id: int = Field(
        sa_column=Column(Integer, ForeignKey("mention.id", ondelete="CASCADE"),
                         primary_key=True))
    query_name: str = Field(max_length=100, primary_key=True, index=True)


class Tombstone(SQLModel, table=True):
    """A purged or erased mention's key: it never comes back, whatever a source sends."""

    __tablename__ = "tombstone"

    dedup_key: str = Field(max_length=600, primary_key=True)
    reason: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ListenRun(SQLModel, table=True):
    __tablename__ = "listen_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default="running", sa_type=String(10))  # running|ok|partial|failed
    new: int = 0
    errors: int = 0


class ListenRunSource(SQLModel, table=True):
    __tablename__ = "listen_run_source"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(
        sa_column=Column(Integer, ForeignKey("listen_run.id", ondelete="CASCADE"),
                         nullable=False, index=True))
    source_name: str = Field(max_length=100)
    outcome: str = Field(sa_type=String(20))  # ok|not_modified|error|rate_limited|skipped
    fetched: int = 0
    new: int = 0
    duplicate: int = 0
    updated: int = 0
    detail: str | None = Field(default=None, max_length=1000)
