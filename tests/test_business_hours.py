"""Business-hours arithmetic: SLA deadlines and response times on a Dutch office calendar."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from smo_cli.config import BusinessHours
from smo_cli.errors import InvalidData
from smo_cli.services.business_hours import business_hours_between, due_at, is_overdue

AMS = ZoneInfo("Europe/Amsterdam")
OFFICE = BusinessHours(timezone="Europe/Amsterdam", days=["mon", "tue", "wed", "thu", "fri"],
                       start=time(9), end=time(17))
KINGS_DAY_2026 = date(2026, 4, 27)  # a Monday


def ams(year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0
        ) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMS, fold=fold)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_due_at_friday_afternoon_rolls_over_weekend_to_monday_morning() -> None:
    due = due_at(ams(2026, 6, 12, 16), 2, OFFICE)  # Friday 16:00
    assert due == ams(2026, 6, 15, 10)  # Monday 10:00


def test_due_at_returns_utc() -> None:
    due = due_at(ams(2026, 6, 12, 16), 2, OFFICE)
    assert due.tzinfo is UTC
    assert due == utc(2026, 6, 15, 8)


def test_due_at_saturday_message_starts_counting_at_monday_opening() -> None:
    assert due_at(ams(2026, 6, 13, 11, 23), 1, OFFICE) == ams(2026, 6, 15, 10)


def test_due_at_tuesday_evening_half_hour_is_wednesday_half_past_nine() -> None:
    assert due_at(ams(2026, 6, 9, 20), 0.5, OFFICE) == ams(2026, 6, 10, 9, 30)


def test_due_at_eight_hour_sla_spans_two_days() -> None:
    assert due_at(ams(2026, 6, 9, 13), 8, OFFICE) == ams(2026, 6, 10, 13)


def test_due_at_sla_longer_than_a_week_skips_two_weekends() -> None:
    # 48 business hours = 6 working days: Tue 13:00 -> Wed of the next week 13:00.
    assert due_at(ams(2026, 6, 9, 13), 48, OFFICE) == ams(2026, 6, 17, 13)


def test_due_at_may_fall_exactly_at_closing_time() -> None:
    assert due_at(ams(2026, 6, 12, 16), 1, OFFICE) == ams(2026, 6, 12, 17)


def test_due_at_zero_hours_inside_business_hours_is_the_start_itself() -> None:
    start = ams(2026, 6, 9, 14, 7)
    assert due_at(start, 0, OFFICE) == start


def test_due_at_zero_hours_outside_business_hours_is_the_next_opening() -> None:
    assert due_at(ams(2026, 6, 12, 17), 0, OFFICE) == ams(2026, 6, 15, 9)
    assert due_at(ams(2026, 6, 9, 6), 0, OFFICE) == ams(2026, 6, 9, 9)


def test_due_at_accepts_a_start_in_any_zone() -> None:
    # 10:00 in New York on a Friday is 16:00 in Amsterdam.
    start = datetime(2026, 6, 12, 10, tzinfo=ZoneInfo("America/New_York"))
    assert due_at(start, 2, OFFICE) == ams(2026, 6, 15, 10)


def test_due_at_spring_dst_weekend_neither_adds_nor_loses_an_hour() -> None:
    # Clocks go forward on Sunday 29 March 2026; Friday is UTC+1, Monday UTC+2.
    due = due_at(ams(2026, 3, 27, 16), 2, OFFICE)
    assert due == ams(2026, 3, 30, 10)
    assert due == utc(2026, 3, 30, 8)


def test_due_at_autumn_dst_weekend_neither_adds_nor_loses_an_hour() -> None:
    # Clocks go back on Sunday 25 October 2026; Friday is UTC+2, Monday UTC+1.
    due = due_at(ams(2026, 10, 23, 16), 2, OFFICE)
    assert due == ams(2026, 10, 26, 10)
    assert due == utc(2026, 10, 26, 9)


@pytest.mark.parametrize(("start", "end"), [
    (ams(2026, 3, 27, 16), ams(2026, 3, 30, 10)),
    (ams(2026, 10, 23, 16), ams(2026, 10, 26, 10)),
])
def test_business_hours_between_dst_weekends_counts_wall_clock_hours(
    start: datetime, end: datetime
) -> None:
    assert business_hours_between(start, end, OFFICE) == 2.0


def test_due_at_skips_a_public_holiday() -> None:
    due = due_at(ams(2026, 4, 24, 16), 2, OFFICE, holidays={KINGS_DAY_2026})
    assert due == ams(2026, 4, 28, 10)  # Tuesday: Monday is King's Day


def test_business_hours_between_skips_a_public_holiday() -> None:
    hours = business_hours_between(ams(2026, 4, 24, 16), ams(2026, 4, 28, 10), OFFICE,
                                   holidays=[KINGS_DAY_2026])
    assert hours == 2.0


def test_business_hours_between_across_a_weekend() -> None:
    assert business_hours_between(ams(2026, 6, 12, 15), ams(2026, 6, 15, 11), OFFICE) == 4.0


def test_business_hours_between_ignores_evening_and_night() -> None:
    assert business_hours_between(ams(2026, 6, 9, 18), ams(2026, 6, 10, 8), OFFICE) == 0.0


def test_business_hours_between_is_zero_when_b_is_not_after_a() -> None:
    moment = ams(2026, 6, 9, 10)
    assert business_hours_between(moment, moment, OFFICE) == 0.0
    assert business_hours_between(moment, moment - timedelta(hours=1), OFFICE) == 0.0


def test_business_hours_between_is_the_inverse_of_due_at() -> None:
    rng = random.Random(20260329)
    first, span = utc(2026, 1, 1), timedelta(days=365).total_seconds()
    for _ in range(500):
        start = first + timedelta(seconds=rng.uniform(0, span))
        hours = rng.choice([0.0, 0.25, 0.5, 1.0, 8.0, 24.0]) if rng.random() < 0.3 else (
            rng.uniform(0, 60))
        due = due_at(start, hours, OFFICE)
        assert due >= start
        assert business_hours_between(start, due, OFFICE) == pytest.approx(hours, abs=1e-6)


def test_is_overdue_only_after_the_due_moment() -> None:
    due = utc(2026, 6, 15, 8)
    assert not is_overdue(due, due - timedelta(seconds=1))
    assert not is_overdue(due, due)
    assert is_overdue(due, due + timedelta(seconds=1))
    assert is_overdue(due, ams(2026, 6, 15, 10, 1))


def test_due_at_rejects_naive_start() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(datetime(2026, 6, 12, 16), 2, OFFICE)  # naive on purpose


def test_business_hours_between_rejects_naive_moment() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        business_hours_between(ams(2026, 6, 12, 16), datetime(2026, 6, 15, 10), OFFICE)


@pytest.mark.parametrize("hours", [-1.0, float("nan"), float("inf")])
def test_due_at_rejects_negative_or_non_finite_hours(hours: float) -> None:
    with pytest.raises(ValueError, match="hours"):
        due_at(ams(2026, 6, 12, 16), hours, OFFICE)


def test_due_at_without_business_days_is_invalid_config() -> None:
    closed = BusinessHours(timezone="Europe/Amsterdam", days=[], start=time(9), end=time(17))
    with pytest.raises(InvalidData, match="days is empty"):
        due_at(ams(2026, 6, 12, 16), 1, closed)


# A night shift that covers the clock change itself: the only case where a wall-clock hour is
# missing (spring) or repeated (autumn).
NIGHT_SHIFT = BusinessHours(timezone="Europe/Amsterdam", days=["sun"], start=time(1),
                            end=time(5))


def test_due_at_in_the_skipped_spring_hour_falls_due_at_the_jump() -> None:
    # 01:00 CET + 1.5 h reads 02:30, which never shows on 29 March: due when clocks jump to 03:00.
    due = due_at(ams(2026, 3, 29, 1), 1.5, NIGHT_SHIFT)
    assert due == utc(2026, 3, 29, 1)
    assert due.astimezone(AMS).hour == 3


def test_due_at_in_the_repeated_autumn_hour_is_its_first_reading() -> None:
    due = due_at(ams(2026, 10, 25, 1), 1.5, NIGHT_SHIFT)
    # Compare in UTC: PEP 495 makes an aware time in the repeated hour unequal to every time in
    # another zone, so `due == ams(2026, 10, 25, 2, 30)` would be False even for the same instant.
    assert due == utc(2026, 10, 25, 0, 30)
    local = due.astimezone(AMS)
    assert (local.hour, local.minute, local.fold) == (2, 30, 0)


def test_due_at_from_the_second_reading_of_the_repeated_hour_stays_ahead() -> None:
    start = ams(2026, 10, 25, 2, 10, fold=1)  # 01:10 UTC, after the clocks went back
    due = due_at(start, 0.25, NIGHT_SHIFT)
    assert due == utc(2026, 10, 25, 1, 25)


def test_business_hours_between_counts_a_night_shift_on_the_wall_clock() -> None:
    spring = business_hours_between(ams(2026, 3, 29, 1), ams(2026, 3, 29, 5), NIGHT_SHIFT)
    autumn = business_hours_between(ams(2026, 10, 25, 1), ams(2026, 10, 25, 5), NIGHT_SHIFT)
    assert (spring, autumn) == (4.0, 4.0)
