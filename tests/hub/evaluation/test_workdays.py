"""Working-day arithmetic over the shipped Chinese calendar (holidays and 调休 weekends)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backoffice_console.hub.evaluation.workdays import CalendarError, china_calendar, parse_calendar

D = dt.date


def test_national_day_2026_and_its_working_weekends() -> None:
    cal = china_calendar()
    assert cal.covers(2026) and cal.covers(2027) and not cal.covers(2031)
    assert not cal.is_workday(D(2026, 10, 1)) and not cal.is_workday(D(2026, 10, 7))
    assert cal.is_workday(D(2026, 10, 10))  # a Saturday worked (调休)
    assert cal.is_workday(D(2026, 9, 20))  # a Sunday worked
    assert not cal.is_workday(D(2026, 10, 11))  # an ordinary Sunday
    # Opened Monday 28 Sep: 29, 30 Sep, then 8, 9, 10 (Sat), 12-16, 19-23 Oct.
    assert cal.add_workdays(D(2026, 9, 28), 15) == D(2026, 10, 23)
    # Weekends alone would give 19 Oct: the holiday calendar is what moved it.
    plain = parse_calendar({"years": {}})
    assert plain.add_workdays(D(2026, 9, 28), 15) == D(2026, 10, 19)


def test_spring_festival_2026() -> None:
    cal = china_calendar()
    assert cal.is_workday(D(2026, 2, 14)) and cal.is_workday(D(2026, 2, 28))
    assert not any(cal.is_workday(D(2026, 2, d)) for d in range(15, 24))
    # Friday 13 Feb + 1 working day is the worked Saturday 14 Feb; + 2 jumps the holiday.
    assert cal.add_workdays(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert cal.add_workdays(D(2026, 2, 13), 2) == D(2026, 2, 24)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"nope": 1}, "years"),
        ({"years": {"2026": {"holidays": ["2026-13-01"]}}}, "2026.holidays"),
        ({"years": {"2026": {"holidays": ["2027-01-01"]}}}, "another year"),
        ({"years": {"2026": {"working_weekends": ["2026-10-12"]}}}, "not a weekend"),
        (
            {"years": {"2026": {"holidays": ["2026-10-10"], "working_weekends": ["2026-10-10"]}}},
            "both",
        ),
    ],
)
def test_malformed_calendar_is_refused(data: object, message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        parse_calendar(data)


@settings(max_examples=150, deadline=None)
@given(
    start=st.dates(min_value=D(2025, 12, 1), max_value=D(2027, 12, 1)),
    count=st.integers(min_value=0, max_value=40),
)
def test_add_workdays_lands_on_a_workday_and_counts_back(start: dt.date, count: int) -> None:
    cal = china_calendar()
    end = cal.add_workdays(start, count)
    assert end >= start
    if count:
        assert cal.is_workday(end)
    assert cal.workdays_between(start, end) == count
