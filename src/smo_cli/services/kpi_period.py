"""Reporting periods: a month ("2026-11"), a quarter ("2026-Q4") or a year ("2026").

A period is a span of local calendar days in the company's time zone (smo.yaml
business_hours.timezone); `bounds` turns it into the UTC instants the database stores, so a mention
at 23:30 UTC on 31 October (00:30 on 1 November in Amsterdam) belongs to November.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from smo_cli.errors import InvalidData

PeriodKind = Literal["month", "quarter", "year"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("month", "quarter", "year")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year; `end` is the last day (inclusive)."""

    start: date
    end: date
    label: str

    @property
    def kind(self) -> PeriodKind:
        if "Q" in self.label:
            return "quarter"
        return "month" if "-" in self.label else "year"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return period_of(self.kind, self.start - timedelta(days=1))

    def following(self) -> Period:
        return period_of(self.kind, self.end + timedelta(days=1))

    def recent(self, n: int) -> list[Period]:
        """The `n` periods up to and including this one, oldest first (for trends)."""
        found = [self]
        while len(found) < n:
            found.append(found[-1].previous())
        return found[::-1]

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def bounds(self, zone: str) -> tuple[datetime, datetime]:
        """[since, until) in UTC: local midnight at the start, local midnight after the end."""
        tz = ZoneInfo(zone)
        since = datetime.combine(self.start, time(0), tz).astimezone(UTC)
        until = datetime.combine(self.end + timedelta(days=1), time(0), tz).astimezone(UTC)
        return since, until

    def __str__(self) -> str:
        return self.label


def period_of(kind: PeriodKind, day: date) -> Period:
    """The month, quarter or year that contains `day`."""
    if kind == "year":
        return Period(date(day.year, 1, 1), date(day.year, 12, 31), f"{day.year}")
    if kind == "quarter":
        quarter = (day.month - 1) // 3 + 1
        start = date(day.year, 3 * quarter - 2, 1)
        return Period(start, _month_end(day.year, 3 * quarter), f"{day.year}-Q{quarter}")
    return Period(date(day.year, day.month, 1), _month_end(day.year, day.month),
                  f"{day.year}-{day.month:02d}")


def parse_period(text: str) -> Period:
    """"2026-11", "2026-Q4" or "2026"; anything else is a one-line InvalidData."""
    value = text.strip()
    if match := _MONTH.match(value):
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12:
            return period_of("month", date(year, month, 1))
    elif match := _QUARTER.match(value):
        return period_of("quarter", date(int(match[1]), 3 * int(match[2]) - 2, 1))
    elif match := _YEAR.match(value):
        return period_of("year", date(int(match[1]), 1, 1))
    raise InvalidData(f"period {text!r} is not a month, quarter or year",
                      hint="write 2026-11, 2026-Q4 or 2026")


def current_period(kind: PeriodKind, zone: str, now: datetime | None = None) -> Period:
    """The period of `kind` that contains today in the company's time zone."""
    moment = now or datetime.now(UTC)
    return period_of(kind, moment.astimezone(ZoneInfo(zone)).date())


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)
