"""Opening hours of a service point: rules, overlap checks, a day's hours, open now, next opening.

Pure functions on plain values (no database) so they are easy to test exhaustively.
Rules of one point:
- weekly: `weekday` (0 = Monday) `opens`-`closes`; several per weekday (a lunch break);
- closed: the whole `day` is closed (a holiday) - it wins over everything else that day;
- special: `opens`-`closes` on `day` (a special opening); on a day with special
  openings, they replace that weekday's weekly rules.
A point with no rules at all is open all day, every day. Times are minutes after
midnight, `closes` may be 1440 ("24:00"); an interval includes `opens` and excludes `closes`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

WEEKLY, CLOSED, SPECIAL = "weekly", "closed", "special"
DAY_MINUTES = 24 * 60
_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


class HoursError(ValueError):
    """A rule that is malformed or overlaps another rule of the same point."""


@dataclass(frozen=True)
class HourRule:
    """One opening rule (see the module docstring)."""

    kind: str
    weekday: int | None = None
    day: dt.date | None = None
    opens: int = 0
    closes: int = 0
    rule_id: int | None = None

    def describe(self) -> str:
        """A short human-readable form for error messages."""
        if self.kind == CLOSED:
            return f"closed on {self.day}"
        when = f"weekday {self.weekday}" if self.kind == WEEKLY else f"{self.day}"
        return f"{when} {hhmm(self.opens)}-{hhmm(self.closes)}"


def parse_hhmm(text: str) -> int:
    """Minutes after midnight of "HH:MM" (00:00 to 24:00); HoursError otherwise."""
    match = _HHMM.match(text)
    if match is None:
        raise HoursError(f"time must be HH:MM, got {text[:10]!r}")
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    if minutes > DAY_MINUTES:
        raise HoursError(f"time must be at most 24:00, got {text[:10]!r}")
    return minutes


def hhmm(minutes: int) -> str:
    """ "HH:MM" of minutes after midnight."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def validate(rule: HourRule) -> None:
    """Raise HoursError if `rule` is malformed on its own."""
    if rule.kind == WEEKLY:
        if rule.weekday is None or not 0 <= rule.weekday <= 6 or rule.day is not None:
            raise HoursError("a weekly rule needs a weekday 0-6 (Monday = 0) and no date")
    elif rule.kind in (CLOSED, SPECIAL):
        if rule.day is None or rule.weekday is not None:
            raise HoursError(f"a {rule.kind} rule needs a date and no weekday")
    else:
        raise HoursError("kind must be weekly, closed or special")
    if rule.kind != CLOSED and not 0 <= rule.opens < rule.closes <= DAY_MINUTES:
        raise HoursError("opening time must be before closing time, within 00:00-24:00")


def _same_slot(a: HourRule, b: HourRule) -> bool:
    if WEEKLY in (a.kind, b.kind):
        return a.kind == b.kind == WEEKLY and a.weekday == b.weekday
    return a.day == b.day


def conflict(existing: Iterable[HourRule], new: HourRule) -> HourRule | None:
    """The first existing rule that `new` overlaps, or None.

    Weekly rules overlap on the same weekday when their intervals intersect; dated
    rules on the same date: two special openings whose intervals intersect, a second
    closure, or a closure and a special opening (the day cannot be both).
    """
    for old in existing:
        if not _same_slot(old, new):
            continue
        if CLOSED in (old.kind, new.kind):
            return old
        if old.opens < new.closes and new.opens < old.closes:
            return old
    return None


def check_new(existing: Sequence[HourRule], new: HourRule) -> None:
    """Raise HoursError if `new` is malformed or overlaps one of `existing`."""
    validate(new)
    clash = conflict(existing, new)
    if clash is not None:
        raise HoursError(f"overlaps the existing rule {clash.rule_id} ({clash.describe()})")


def day_hours(rules: Sequence[HourRule], day: dt.date) -> list[tuple[int, int]]:
    """Opening intervals on `day`, sorted; [] when closed all day."""
    if not rules:
        return [(0, DAY_MINUTES)]
    dated = [r for r in rules if r.day == day]
    if any(r.kind == CLOSED for r in dated):
        return []
    special = [(r.opens, r.closes) for r in dated if r.kind == SPECIAL]
    if special:
        return sorted(special)
    weekday = day.weekday()
    return sorted((r.opens, r.closes) for r in rules if r.kind == WEEKLY and r.weekday == weekday)


def is_open(rules: Sequence[HourRule], local: dt.datetime) -> bool:
    """Whether the point is open at the local wall-clock time `local`."""
    minute = local.hour * 60 + local.minute
    return any(o <= minute < c for o, c in day_hours(rules, local.date()))


def next_open(
    rules: Sequence[HourRule], local: dt.datetime, horizon_days: int = 366
) -> dt.datetime | None:
    """The next opening strictly after `local` (same tzinfo), within `horizon_days`; or None.

    When the point is open now this is the start of the next interval that begins later.
    """
    minute = local.hour * 60 + local.minute
    for offset in range(horizon_days + 1):
        day = local.date() + dt.timedelta(days=offset)
        for opens, _ in day_hours(rules, day):
            if offset == 0 and opens <= minute:
                continue
            if opens == DAY_MINUTES:
                continue
            start = dt.datetime.combine(day, dt.time(opens // 60, opens % 60))
            return start.replace(tzinfo=local.tzinfo)
    return None
