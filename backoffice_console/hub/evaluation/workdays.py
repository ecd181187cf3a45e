"""Working days in mainland China: weekends, public holidays and adjusted working weekends (调休).

Pure: the calendar is read once from `assets/calendar/cn_workdays.json`. A year the
file does not cover falls back to the plain rule (Monday to Friday), so a deadline
is always computable; `covers(year)` tells whether the official calendar was used.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from pathlib import Path

from shared.assets import assets_dir


class CalendarError(Exception):
    """The calendar file is missing or malformed."""


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days."""

    holidays: frozenset[dt.date]
    working_weekends: frozenset[dt.date]
    years: frozenset[int]

    def covers(self, year: int) -> bool:
        """Whether `year`'s official holidays are known (otherwise weekends only)."""
        return year in self.years

    def is_workday(self, day: dt.date) -> bool:
        """Whether `day` is a working day."""
        if day in self.working_weekends:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_workdays(self, start: dt.date, count: int) -> dt.date:
        """The `count`-th working day after `start` (`start` itself is not counted)."""
        if count < 0:
            raise ValueError("count must be >= 0")
        day = start
        left = count
        while left:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count


def _dates(values: object, where: str) -> set[dt.date]:
    if not isinstance(values, list):
        raise CalendarError(f"{where}: expected a list of dates")
    try:
        return {dt.date.fromisoformat(str(v)) for v in values}
    except ValueError as exc:
        raise CalendarError(f"{where}: {exc}") from None


def parse_calendar(data: object) -> WorkCalendar:
    """A calendar from the JSON structure of `cn_workdays.json`; raises `CalendarError`."""
    if not isinstance(data, dict) or not isinstance(data.get("years"), dict):
        raise CalendarError("calendar: expected {'years': {...}}")
    holidays: set[dt.date] = set()
    weekends: set[dt.date] = set()
    years: set[int] = set()
    for year_text, entry in data["years"].items():
        if not isinstance(entry, dict):
            raise CalendarError(f"{year_text}: expected an object")
        year = int(year_text)
        off = _dates(entry.get("holidays", []), f"{year}.holidays")
        on = _dates(entry.get("working_weekends", []), f"{year}.working_weekends")
        if any(d.year != year for d in off | on):
            raise CalendarError(f"{year}: a date of another year")
        if off & on:
            raise CalendarError(f"{year}: a day both holiday and working day")
        if any(d.weekday() < 5 for d in on):
            raise CalendarError(f"{year}: a working weekend that is not a weekend")
        holidays |= off
        weekends |= on
        years.add(year)
    return WorkCalendar(frozenset(holidays), frozenset(weekends), frozenset(years))


def load_calendar(path: Path) -> WorkCalendar:
    """Read a calendar file; raises `CalendarError`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CalendarError(f"{path}: {exc}") from None
    return parse_calendar(data)


@functools.cache
def china_calendar() -> WorkCalendar:
    """The shipped mainland China calendar (read once)."""
    return load_calendar(assets_dir() / "calendar" / "cn_workdays.json")
