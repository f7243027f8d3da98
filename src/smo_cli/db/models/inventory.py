"""The presence inventory: accounts, the presence targets, and dated snapshots of public facts."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from smo_cli.db.types import UTCDateTime, utcnow


class Platform(StrEnum):
    mastodon = "mastodon"
    bluesky = "bluesky"
    linkedin = "linkedin"
    x = "x"
    facebook = "facebook"
    instagram = "instagram"
    youtube = "youtube"
    tiktok = "tiktok"
    threads = "threads"
    website = "website"
    blog = "blog"
    other = "other"


class AccountKind(StrEnum):
    official = "official"
    employee_professional = "employee-professional"
    advocate = "advocate"
    dormant = "dormant"
    impostor = "impostor"
    unknown = "unknown"


class Requirement(StrEnum):
    must = "must"
    should = "should"
    must_not = "must-not"


class Account(SQLModel, table=True):
    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("platform", "handle", name="uq_account_platform_handle"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(sa_type=String(20), index=True)
    handle: str = Field(max_length=300)
    url: str | None = Field(default=None, max_length=2000)
    owner: str = Field(default="company", max_length=260, index=True)
    kind: str = Field(default=AccountKind.official.value, sa_type=String(30))
    purpose: str | None = Field(default=None, max_length=500)
    custodian: str | None = Field(default=None, max_length=254)
    two_factor: bool | None = None
    created: date | None = None
    notes: str | None = None
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PresenceTarget(SQLModel, table=True):
    __tablename__ = "presence_target"
    __table_args__ = (UniqueConstraint("platform", "owner", name="uq_target_platform_owner"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(sa_type=String(20))
    owner: str = Field(max_length=260)
    required: str = Field(sa_type=String(10))
    why: str | None = Field(default=None, max_length=500)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AccountSnapshot(SQLModel, table=True):
    __tablename__ = "account_snapshot"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    checked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    status: str = Field(sa_type=String(20))  # ok | unreachable | error | unsupported
    followers: int | None = None
    following: int | None = None
    posts: int | None = None
    last_post_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    final_url: str | None = Field(default=None, max_length=2000)
    detail: str | None = Field(default=None, max_length=1000)
