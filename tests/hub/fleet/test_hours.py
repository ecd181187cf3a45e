"""Opening-hour rules: overlap checks, a day's hours, open now and next opening (pure logic)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backoffice_console.hub.fleet import hours as h

MONDAY = dt.date(2026, 11, 23)
TZ = dt.timezone(dt.timedelta(hours=8))
minutes = st.integers(min_value=0, max_value=h.DAY_MINUTES)
interval = st.tuples(minutes, minutes).filter(lambda t: t[0] < t[1])


def weekly(weekday: int, opens: str, closes: str, rule_id: int = 0) -> h.HourRule:
    return h.HourRule(h.WEEKLY, weekday, None, h.parse_hhmm(opens), h.parse_hhmm(closes), rule_id)


def at(day: dt.date, hhmm: str) -> dt.datetime:
    minute = h.parse_hhmm(hhmm)
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), TZ)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), interval), max_size=12), st.integers(0, 6), interval)
def test_a_weekly_rule_is_refused_exactly_when_it_intersects_one_on_its_day(
    accepted: list[tuple[int, tuple[int, int]]], weekday: int, new: tuple[int, int]
) -> None:
    rules: list[h.HourRule] = []
    for day, (o, c) in accepted:  # build a consistent set the way the hub does
        candidate = h.HourRule(h.WEEKLY, day, None, o, c, len(rules) + 1)
        if h.conflict(rules, candidate) is None:
            rules.append(candidate)
    rule = h.HourRule(h.WEEKLY, weekday, None, *new)
    clash = any(r.weekday == weekday and r.opens < new[1] and new[0] < r.closes for r in rules)
    assert (h.conflict(rules, rule) is not None) is clash
    # Accepted rules never overlap, so a day's hours are disjoint and sorted.
    spans = h.day_hours(rules, MONDAY + dt.timedelta(days=weekday))
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


@settings(max_examples=200, deadline=None)
@given(st.lists(interval, min_size=1, max_size=4), st.integers(0, 6), minutes)
def test_open_now_and_next_open_agree_with_the_days_hours(
    spans: list[tuple[int, int]], weekday: int, minute: int
) -> None:
    rules: list[h.HourRule] = []
    for o, c in spans:
        candidate = h.HourRule(h.WEEKLY, weekday, None, o, c)
        if h.conflict(rules, candidate) is None:
            rules.append(candidate)
    day = MONDAY + dt.timedelta(days=weekday)
    minute = min(minute, h.DAY_MINUTES - 1)
    local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), TZ)
    inside = any(r.opens <= minute < r.closes for r in rules)
    assert h.is_open(rules, local) is inside
    upcoming = h.next_open(rules, local)
    assert upcoming is not None and upcoming > local and upcoming.tzinfo is TZ
    assert h.is_open(rules, upcoming)  # every opening it names is really open
    assert (upcoming - local) <= dt.timedelta(days=7)


def test_holidays_and_special_openings_win_over_weekly_rules() -> None:
    holiday = MONDAY + dt.timedelta(days=7)
    saturday = MONDAY + dt.timedelta(days=5)
    rules = [
        weekly(0, "09:00", "12:00", 1),
        weekly(0, "13:00", "17:00", 2),
        h.HourRule(h.CLOSED, None, holiday, rule_id=3),
        h.HourRule(h.SPECIAL, None, saturday, 600, 720, 4),
    ]
    assert h.day_hours(rules, MONDAY) == [(540, 720), (780, 1020)]
    assert h.day_hours(rules, holiday) == []
    assert h.day_hours(rules, saturday) == [(600, 720)]
    assert h.day_hours(rules, MONDAY + dt.timedelta(days=1)) == []
    assert h.is_open(rules, at(MONDAY, "12:30")) is False
    assert h.next_open(rules, at(MONDAY, "12:30")) == at(MONDAY, "13:00")
    assert h.next_open(rules, at(MONDAY, "17:00")) == at(saturday, "10:00")
    # On the holiday Monday the next opening is the Monday after.
    assert h.next_open(rules, at(holiday, "08:00")) == at(holiday + dt.timedelta(days=7), "09:00")
    assert h.day_hours([], holiday) == [(0, h.DAY_MINUTES)]  # no rules: always open
    assert h.next_open([h.HourRule(h.CLOSED, None, MONDAY)], at(MONDAY, "08:00")) is None


@pytest.mark.parametrize(
    "rule",
    [
        h.HourRule(h.WEEKLY, 7, None, 60, 120),
        h.HourRule(h.WEEKLY, None, None, 60, 120),
        h.HourRule(h.WEEKLY, 1, MONDAY, 60, 120),
        h.HourRule(h.WEEKLY, 1, None, 120, 120),
        h.HourRule(h.SPECIAL, None, MONDAY, 0, 1441),
        h.HourRule(h.CLOSED, 1, MONDAY),
        h.HourRule("sometimes", 1, None, 60, 120),
    ],
)
def test_malformed_rules_are_refused(rule: h.HourRule) -> None:
    with pytest.raises(h.HoursError):
        h.check_new([], rule)


@pytest.mark.parametrize("text", ["9:00", "24:01", "25:00", "12:60", "", "noon", "12:00:00"])
def test_bad_times_are_refused(text: str) -> None:
    with pytest.raises(h.HoursError):
        h.parse_hhmm(text)


def test_times_round_trip() -> None:
    assert [h.hhmm(h.parse_hhmm(t)) for t in ("00:00", "09:05", "24:00")] == [
        "00:00",
        "09:05",
        "24:00",
    ]
