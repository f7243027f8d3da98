"""KPIs and ROI (job 9): values of manual metrics, and the costs and value that ROI weighs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from smo_cli.db.types import UTCDateTime, utcnow


class KpiRecord(SQLModel, table=True):
    """A value of a manual metric (LinkedIn page statistics, website conversions) on a day."""

    __tablename__ = "kpi_record"
    __table_args__ = (UniqueConstraint("key", "recorded_on", name="uq_kpi_record_day"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=60, index=True)
    value: float = Field(sa_type=Float)
    recorded_on: date = Field(sa_type=Date, index=True)
    note: str | None = Field(default=None, max_length=500)
    source: str = Field(default="cli", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CostEntry(SQLModel, table=True):
    """What social media cost: hours x rate, tools, advertising, agency, training."""

    __tablename__ = "cost_entry"

    id: int | None = Field(default=None, primary_key=True)
    spent_on: date = Field(sa_type=Date, index=True)
    category: str = Field(sa_type=String(20))      # hours | tools | advertising | agency | training
    description: str = Field(max_length=300)
    hours: float | None = Field(default=None, sa_type=Float)
    rate: float | None = Field(default=None, sa_type=Float)
    amount: float = Field(sa_type=Float)           # hours x rate, or the amount paid
    department: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ValueEntry(SQLModel, table=True):
    """What social media brought: leads or conversions x value, or savings. Advertising value
    equivalents are not value and have no category here."""

    __tablename__ = "value_entry"

    id: int | None = Field(default=None, primary_key=True)
    gained_on: date = Field(sa_type=Date, index=True)
    category: str = Field(sa_type=String(20))      # leads | conversions | savings
    description: str = Field(max_length=300)
    quantity: float | None = Field(default=None, sa_type=Float)
    unit_value: float | None = Field(default=None, sa_type=Float)
    amount: float = Field(sa_type=Float)           # quantity x unit value, or the amount saved
    department: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

