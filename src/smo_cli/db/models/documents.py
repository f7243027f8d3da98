"""Documents (jobs 2 and 4): published versions of the policy, kept word for word."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from smo_cli.db.types import UTCDateTime, utcnow


class PolicyVersion(SQLModel, table=True):
    __tablename__ = "policy_version"
    __table_args__ = (UniqueConstraint("number", "lang", name="uq_policy_version_lang"),)

    id: int | None = Field(default=None, primary_key=True)
    number: int
    lang: str = Field(sa_type=String(5))
    content_hash: str = Field(max_length=64)
    content: str = Field(sa_type=Text)
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
