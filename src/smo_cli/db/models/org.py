"""People of the organisation (employees), keyed by e-mail."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from smo_cli.db.types import UTCDateTime, utcnow


class Person(SQLModel, table=True):
    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=200)
    department: str | None = Field(default=None, max_length=40, index=True)
    role: str | None = Field(default=None, max_length=100)
    manager_email: str | None = Field(default=None, max_length=254)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
