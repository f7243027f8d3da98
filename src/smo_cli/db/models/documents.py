"""Documents (jobs 2 and 4): published versions of the policy, kept word for word, and who
acknowledged which version."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String, Text, UniqueConstraint
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


class PolicyAck(SQLModel, table=True):
    """One person's acknowledgement of one published version. Kept by e-mail address, not by
    person row, so the history survives a person being removed and imported again."""

    __tablename__ = "policy_ack"
    __table_args__ = (UniqueConstraint("email", "lang", "version", name="uq_policy_ack"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    lang: str = Field(sa_type=String(5))
    version: int
    acknowledged_on: date = Field(sa_type=Date)
    source: str = Field(max_length=200)              # "cli" or the imported file's name
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
