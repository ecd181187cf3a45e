"""The order in which waiting tickets are served (pure rules, no database).

Rules (issue 6, "Routing"):
- a transferred live call goes first (its resident is already in a call);
- residents aged 70+ ("elderly") and those needing assistance go ahead of normal
  tickets, but after `ratio` priority takes in a row a waiting normal ticket is
  served, so normal tickets are never starved;
- within a class, oldest first (ties by ticket id, so the order is stable).

The take history is whole-city: the priorities of the most recent takes by any
officer, newest last. Transfer takes neither count towards nor break a streak.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

TRANSFER = "transfer"
NORMAL = "normal"
PRIORITY_CLASSES = frozenset({"elderly", "assistance"})
ELDERLY_AGE = 70


class Queued(Protocol):
    """What the rules need of a ticket (TicketInfo has it)."""

    @property
    def ticket_id(self) -> int:
        """The ticket's id (tie-breaker)."""

    @property
    def priority(self) -> str:
        """normal | elderly | assistance | transfer."""

    @property
    def waiting_since(self) -> dt.datetime:
        """When it joined the queue."""


T = TypeVar("T", bound=Queued)


def _age_key(item: Queued) -> tuple[dt.datetime, int]:
    return (item.waiting_since, item.ticket_id)


def priority_streak(history: Iterable[str]) -> int:
    """How many priority takes in a row end `history` (newest last), transfers skipped."""
    streak = 0
    for priority in reversed(list(history)):
        if priority == TRANSFER:
            continue
        if priority not in PRIORITY_CLASSES:
            break
        streak += 1
    return streak


def next_ticket(waiting: Sequence[T], streak: int, ratio: int) -> T | None:
    """The ticket to serve now, given the current priority streak; None if none waits."""
    if not waiting:
        return None
    by_class: dict[str, list[T]] = {TRANSFER: [], "priority": [], NORMAL: []}
    for item in waiting:
        if item.priority == TRANSFER:
            by_class[TRANSFER].append(item)
        elif item.priority in PRIORITY_CLASSES:
            by_class["priority"].append(item)
        else:
            by_class[NORMAL].append(item)
    if by_class[TRANSFER]:
        return min(by_class[TRANSFER], key=_age_key)
    if by_class["priority"] and not (by_class[NORMAL] and streak >= ratio):
        return min(by_class["priority"], key=_age_key)
    return min(by_class[NORMAL], key=_age_key)


def served_order(waiting: Iterable[T], history: Iterable[str], ratio: int) -> list[T]:
    """Every waiting ticket in the order the rules would serve them, if nobody new joined."""
    if ratio < 1:
        raise ValueError("ratio must be at least 1")
    left = list(waiting)
    streak = priority_streak(history)
    order: list[T] = []
    while left:
        item = next_ticket(left, streak, ratio)
        assert item is not None
        left.remove(item)
        order.append(item)
        if item.priority in PRIORITY_CLASSES:
            streak += 1
        elif item.priority != TRANSFER:
            streak = 0
    return order


def age_on(birth_date: dt.date, today: dt.date) -> int:
    """Completed years of life on `today`."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - int(before_birthday)


def join_priority(birth_date: dt.date | None, assistance: bool, today: dt.date) -> str:
    """A new ticket's priority: elderly (70+ on `today`), assistance, or normal."""
    if birth_date is not None and age_on(birth_date, today) >= ELDERLY_AGE:
        return "elderly"
    return "assistance" if assistance else NORMAL


def is_overdue(waiting_since: dt.datetime, now: dt.datetime, overdue_after_s: float) -> bool:
    """Whether a ticket has waited longer than the threshold."""
    return (now - waiting_since).total_seconds() > overdue_after_s
