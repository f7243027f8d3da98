"""Business-hours arithmetic for response deadlines: when an SLA falls due, how much of it was used.

Pure functions, no I/O. Business time runs only on the configured weekdays, between `start` and
`end` on the wall clock of the configured zone, minus public holidays. Hours are counted on that
wall clock, so a daylight-saving weekend neither adds nor loses a business hour, and Monday still
opens at 09:00 local. Instants go in aware (any zone) and come out in UTC.

Windows are half-open, [start, end): a message at 17:00 sharp waits for the next opening, but a
deadline may fall at 17:00 sharp. Only a window that covers the clock change itself (02:00-03:00 on
a Sunday in Europe/Amsterdam) meets a missing or repeated wall-clock hour; see `_instant`.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from smo_cli.config import BusinessHours, Weekday, Workspace
from smo_cli.errors import InvalidData

WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_ONE_DAY = timedelta(days=1)
_ONE_HOUR = timedelta(hours=1)
_ONE_MICROSECOND = timedelta(microseconds=1)


def due_at(
    start: datetime,
    hours: float,
    hours_cfg: BusinessHours,
    holidays: Collection[date] = (),
) -> datetime:
    """The moment `hours` business hours after `start`, in UTC.

    A start outside business hours begins counting at the next opening; `hours == 0` gives the
    start itself when it is inside business hours, else the next opening.
    """
    _require_aware(start, "start")
    if not math.isfinite(hours) or hours < 0:
        raise ValueError(f"hours must be a finite number >= 0, got {hours!r}")
    open_days = _open_weekdays(hours_cfg)
    if not open_days:
        raise InvalidData("business_hours.days is empty, so nothing can ever fall due",
                          hint="list the working days, e.g. days: [mon, tue, wed, thu, fri]")
    zone = ZoneInfo(hours_cfg.timezone)
    cursor = _wall(start, zone)
    remaining = timedelta(hours=hours)
    day = cursor.date()
    while True:
        window = _window(day, hours_cfg, open_days, holidays)
        if window is not None:
            opens, closes = window
            begin = max(cursor, opens)
            if begin < closes:
                if remaining <= closes - begin:
                    return _instant(begin + remaining, zone, not_before=start)
                remaining -= closes - begin
        day += _ONE_DAY


def business_hours_between(
    a: datetime,
    b: datetime,
    hours_cfg: BusinessHours,
    holidays: Collection[date] = (),
) -> float:
    """Business hours elapsed from `a` to `b` (0.0 when `b <= a`), e.g. first-response time."""
    _require_aware(a, "a")
    _require_aware(b, "b")
    if b <= a:
        return 0.0
    open_days = _open_weekdays(hours_cfg)
    zone = ZoneInfo(hours_cfg.timezone)
    first, last = _wall(a, zone), _wall(b, zone)
    total = timedelta(0)
    day = first.date()
    while day <= last.date():
        window = _window(day, hours_cfg, open_days, holidays)
        if window is not None:
            opens, closes = window
            overlap = min(last, closes) - max(first, opens)
            if overlap > timedelta(0):
                total += overlap
        day += _ONE_DAY
    return total / _ONE_HOUR


def is_overdue(due: datetime, now: datetime) -> bool:
    """True once `now` is past `due`; at the due moment itself it is not yet overdue."""
    return now > due


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")


def _open_weekdays(hours_cfg: BusinessHours) -> frozenset[int]:
    return frozenset(WEEKDAYS.index(day) for day in hours_cfg.days)


def _window(
    day: date,
    hours_cfg: BusinessHours,
    open_days: frozenset[int],
    holidays: Collection[date],
) -> tuple[datetime, datetime] | None:
    """The naive wall-clock business window of `day`, or None on a closed day."""
    if day.weekday() not in open_days or day in holidays:
        return None
    return (datetime.combine(day, hours_cfg.start.replace(tzinfo=None)),
            datetime.combine(day, hours_cfg.end.replace(tzinfo=None)))


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    """The naive wall-clock reading of `moment` in `zone`."""
    return moment.astimezone(zone).replace(tzinfo=None, fold=0)


def _instant(wall: datetime, zone: ZoneInfo, *, not_before: datetime) -> datetime:
    """The first instant, not before `not_before`, at which the clock in `zone` reads `wall`.

    In the repeated hour (autumn) that is the first of the two readings still ahead. A reading in
    the skipped hour (spring) never shows, so the deadline is the jump itself (03:00 local).
    """
    floor = not_before.astimezone(UTC)
    for fold in (0, 1):
        candidate = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if _wall(candidate, zone) == wall and candidate >= floor:
            return candidate
    lo, hi = sorted(wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))
    while hi - lo > _ONE_MICROSECOND:
        middle = lo + (hi - lo) / 2
        if _wall(middle, zone) >= wall:
            hi = middle
        else:
            lo = middle
    return max(hi, floor)


def local_today(workspace: Workspace) -> date:
    """Today as the company counts days: in smo.yaml's `business_hours.timezone`."""
    return datetime.now(ZoneInfo(workspace.settings.business_hours.timezone)).date()
