"""Reporting periods: parsing "2026-11", "2026-Q4" and "2026", stepping back, trends, and the
UTC bounds of local months and quarters in Europe/Amsterdam; and the text sparkline of trends."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from smo_cli.errors import InvalidData
from smo_cli.render.output import sparkline
from smo_cli.services.kpi import parse_period
from smo_cli.services.kpi_period import Period


def _utc(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(("text", "start", "end", "previous"), [
    ("2026-11", date(2026, 11, 1), date(2026, 11, 30), "2026-10"),
    ("2026-1", date(2026, 1, 1), date(2026, 1, 31), "2025-12"),
    ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), "2026-Q3"),
    ("2026-q1", date(2026, 1, 1), date(2026, 3, 31), "2025-Q4"),
    ("2026", date(2026, 1, 1), date(2026, 12, 31), "2025"),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "2024-01"),
])
def test_periods_parse_and_step_back(text: str, start: date, end: date, previous: str) -> None:
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)
    assert period.previous().label == previous


def test_recent_periods_end_with_this_one_oldest_first() -> None:
    assert [p.label for p in parse_period("2026-02").recent(6)] == [
        "2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02"]
    assert [p.label for p in parse_period("2026-Q1").recent(3)] == [
        "2025-Q3", "2025-Q4", "2026-Q1"]


@pytest.mark.parametrize("text", ["2026-13", "november", "2026-Q5", "26", "2026-11-01", ""])
def test_a_bad_period_is_one_line_invalid_data(text: str) -> None:
    with pytest.raises(InvalidData) as caught:
        parse_period(text)
    assert str(caught.value) == (f"period {text!r} is not a month, quarter or year "
                                 "(write 2026-11, 2026-Q4 or 2026)")


def test_period_bounds_are_local_midnights_in_utc() -> None:
    # Amsterdam is UTC+2 until 25 October 2026 and UTC+1 after.
    assert parse_period("2026-Q4").bounds("Europe/Amsterdam") == (
        _utc(9, 30, 22), _utc(12, 31, 23))
    assert parse_period("2026-11").bounds("Europe/Amsterdam") == (
        _utc(10, 31, 23), _utc(11, 30, 23))


def test_period_is_a_value_object() -> None:
    assert parse_period("2026-11") == Period(date(2026, 11, 1), date(2026, 11, 30), "2026-11")


def test_a_trend_sparkline_spans_low_to_high_and_marks_gaps() -> None:
    assert sparkline([None, -20.0, 0.0, 20.0, None], from_zero=False) == "·▁▅█·"
    assert sparkline([1, 2, None, 4], from_zero=False) == "▁▃·█"     # as the reports show it
    assert sparkline([5.0, 5.0], from_zero=False) == "▄▄"
    assert sparkline([None, None], from_zero=False) == "··"
