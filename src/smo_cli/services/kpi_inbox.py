"""Inbox figures of a period in SQL: response rate, % within SLA, and the median and 90th
percentile of the first-response time in business hours.

The inbox items of a period are those *created* (routed) in it. Percentiles are picked with an
ordered LIMIT/OFFSET, so no row comes into Python; for that the database must order by business
hours, which it cannot compute by itself (weekdays, opening hours and daylight saving live in
smo.yaml). So Python writes a small calendar into a temporary table, one row per local day the
items span: when it opens and closes (as UTC seconds) and how many business seconds lie before
it. Business seconds up to an instant t are then `before + clamp(t - opens, 0, closes - opens)`
of t's day, and the time to respond is that at the response minus that at the arrival: the same
figure `business_hours_between` gives for each item (a test holds them to it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, ColumnElement, Float, MetaData, Table, case, func, insert, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col

from smo_cli.config import BusinessHours
from smo_cli.db.models import Assignment
from smo_cli.services.business_hours import WEEKDAYS

NO_ANSWER_NEEDED = ("praise", "other")      # types left out of the response rate
_HOUR = 3600.0


class epoch_seconds(FunctionElement[float]):
    """Seconds since 1970 of a stored UTC datetime, on SQLite and PostgreSQL alike."""

    type = Float()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


class greatest(FunctionElement[float]):
    """The larger of two numbers: GREATEST on PostgreSQL, two-argument max() on SQLite."""

    type = Float()
    inherit_cache = True
    name = "greatest"


@compiles(greatest)
def _greatest(element: greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element: greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


_TEMPORARY_TABLES = MetaData()
_CALENDAR = Table("kpi_business_calendar", _TEMPORARY_TABLES,
                  Column("day_start", Float, primary_key=True), Column("opens", Float),
                  Column("closes", Float), Column("before", Float), prefixes=["TEMPORARY"])
_SPENT = Table("kpi_response_hours", _TEMPORARY_TABLES, Column("hours", Float),
               prefixes=["TEMPORARY"])
_TEMPORARY = (_CALENDAR, _SPENT)


@dataclass(frozen=True)
class InboxCounts:
    created: int                    # inbox items created in the period
    answerable: int                 # ... of a type that calls for an answer
    answered: int                   # ... of those, answered
    responded: int                  # every item of the period with a first response
    sla_counted: int                # with a deadline that was answered or has passed
    within_sla: int                 # answered by the deadline


@dataclass(frozen=True)
class ResponseTimes:
    responded: int
    median: float | None            # business hours
    p90: float | None


def _population(since: datetime, until: datetime,
                department: str | None) -> list[ColumnElement[bool]]:
    where = [col(Assignment.created_at) >= since, col(Assignment.created_at) < until]
    if department is not None:
        where.append(col(Assignment.department) == department)
    return where


def inbox_counts(session: Session, since: datetime, until: datetime, *, now: datetime,
                 department: str | None = None) -> InboxCounts:
    """Counts for the response rate and the SLA, in one pass over the period's items."""
    responded = col(Assignment.responded_at).is_not(None)
    answerable = col(Assignment.type).not_in(NO_ANSWER_NEEDED)
    due = col(Assignment.sla_due_at)

    def number(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = session.execute(select(
        func.count(), number(answerable), number(answerable & responded), number(responded),
        # An open item whose deadline is still ahead may yet make it: not counted either way.
        number(due.is_not(None) & (responded | (due <= now))),
        number(due.is_not(None) & responded & (col(Assignment.responded_at) <= due)),
    ).where(*_population(since, until, department))).one()
    return InboxCounts(*(int(v) for v in row))


def response_times(session: Session, since: datetime, until: datetime, hours: BusinessHours, *,
                   department: str | None = None) -> ResponseTimes:
    """Median and 90th percentile (nearest rank) of the business hours from an item's
    creation to its first response, over the period's items that were answered."""
    where = [*_population(since, until, department), col(Assignment.responded_at).is_not(None)]
    count, first, last = session.execute(select(
        func.count(), func.min(col(Assignment.created_at)),
        func.max(col(Assignment.responded_at))).where(*where)).one()
    if not count:
        return ResponseTimes(0, None, None)
    connection = session.connection()
    for table in _TEMPORARY:
        table.drop(connection, checkfirst=True)
        table.create(connection)
    try:
        connection.execute(insert(_CALENDAR), calendar_rows(_aware(first), _aware(last), hours))
        # A response stamped before the item (a clock off) took no time, as in
        # business_hours_between.
        spent = greatest(0.0, _business_seconds(col(Assignment.responded_at))
                         - _business_seconds(col(Assignment.created_at))) / _HOUR
        # Each item's hours once, into a table both percentiles then read in order.
        connection.execute(insert(_SPENT).from_select(["hours"], select(spent).where(*where)))

        def at(offset: int, limit: int = 1) -> list[float]:
            found = connection.execute(select(_SPENT.c.hours).order_by(_SPENT.c.hours)
                                       .limit(limit).offset(offset)).scalars().all()
            return [float(v) for v in found]

        middle = at((count - 1) // 2, 1 if count % 2 else 2)
        rank = -(-9 * count // 10)              # ceil(0.9 n): the nearest-rank 90th percentile
        return ResponseTimes(count, sum(middle) / len(middle), at(rank - 1)[0])
    finally:
        for table in _TEMPORARY:
            table.drop(connection, checkfirst=True)


def _business_seconds(moment: Any) -> Any:
    t = epoch_seconds(moment)
    day = _CALENDAR.c
    within = case((t <= day.opens, 0.0), (t >= day.closes, day.closes - day.opens),
                  else_=t - day.opens)
    return (select(day.before + within).where(day.day_start <= t)
            .order_by(day.day_start.desc()).limit(1).scalar_subquery())


def calendar_rows(first: datetime, last: datetime, hours: BusinessHours) -> list[dict[str, float]]:
    """One row per local day from `first` to `last`: its start, opening and closing as UTC
    seconds (a closed day opens and closes at its start) and the business seconds before it."""
    zone = ZoneInfo(hours.timezone)
    open_days = {WEEKDAYS.index(d) for d in hours.days}
    day, end = first.astimezone(zone).date(), last.astimezone(zone).date()
    rows: list[dict[str, float]] = []
    before = 0.0
    while day <= end:
        start = _seconds(day, time(0), zone)
        opens = closes = start
        if day.weekday() in open_days:
            opens = _seconds(day, hours.start.replace(tzinfo=None), zone)
            closes = _seconds(day, hours.end.replace(tzinfo=None), zone)
        rows.append({"day_start": start, "opens": opens, "closes": closes, "before": before})
        before += closes - opens
        day += timedelta(days=1)
    return rows


def _seconds(day: date, clock: time, zone: ZoneInfo) -> float:
    return datetime.combine(day, clock, zone).timestamp()


def _aware(moment: datetime) -> datetime:
    # Aggregates (MIN/MAX) bypass the column type on SQLite and come back naive: they are UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
