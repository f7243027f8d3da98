"""Routing (job 7): who must answer which mention, by when, and what happened to it since."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from smo_cli.db.types import UTCDateTime, utcnow


class Assignment(SQLModel, table=True):
    """An inbox item: one mention for one department or person, decided by one rule."""

    __tablename__ = "assignment"
    # The inbox figures of a period are its items by creation time (services/kpi_inbox.py, the
    # reports); migration 0013_report_indexes.
    __table_args__ = (UniqueConstraint("mention_id", "rule_id", name="uq_assignment_rule"),
                      Index("ix_assignment_created_at", "created_at"))

    id: int | None = Field(default=None, primary_key=True)
    mention_id: int = Field(sa_column=Column(
        Integer, ForeignKey("mention.id", ondelete="CASCADE"), nullable=False, index=True))
    rule_id: str = Field(max_length=100)
    department: str | None = Field(default=None, max_length=40, index=True)
    person: str | None = Field(default=None, max_length=254, index=True)
    type: str = Field(default="other", sa_type=String(20))
    priority: str = Field(default="medium", sa_type=String(10))
    delivery: str = Field(default="inbox", sa_type=String(10))
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    state: str = Field(default="new", sa_type=String(12), index=True)
    sla_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    responded_by: str | None = Field(default=None, max_length=254)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AssignmentEvent(SQLModel, table=True):
    """The history of an inbox item: created, assigned, noted, snoozed, responded, closed..."""

    __tablename__ = "assignment_event"

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(sa_column=Column(
        Integer, ForeignKey("assignment.id", ondelete="CASCADE"), nullable=False, index=True))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    action: str = Field(sa_type=String(20))
    actor: str | None = Field(default=None, max_length=254)
    detail: str | None = Field(default=None, sa_type=Text)


class OutboxMessage(SQLModel, table=True):
    """A message to send, written with the routing decision; delivery reads and marks it.

    pending → sent | failed (permanent). A retryable failure stays pending with a later
    `next_attempt_at`; a crash between sending and marking re-sends with the same `key`
    (Message-ID / idempotency key), so the receiver can tell it is the same message.
    """

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100, unique=True)
    assignment_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("assignment.id", ondelete="CASCADE"), nullable=True, index=True))
    channel: str = Field(max_length=100)
    delivery: str = Field(sa_type=String(10))              # immediate | digest
    recipients: list[str] = Field(default_factory=list, sa_type=JSON)
    state: str = Field(default="pending", sa_type=String(10), index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    payload: dict[str, Any] | None = Field(default=None, sa_type=JSON)   # alerts: subject, text
