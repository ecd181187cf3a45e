"""Queue ordering rules (hub/queue_order.py): property tests with hypothesis."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from backoffice_console.hub.routing.queue_order import (
    PRIORITY_CLASSES,
    age_on,
    is_overdue,
    join_priority,
    next_ticket,
    priority_streak,
    served_order,
)

T0 = dt.datetime(2026, 11, 22, 1, 0, tzinfo=dt.UTC)
PRIORITIES = ["normal", "elderly", "assistance", "transfer"]


@dataclass(frozen=True)
class Item:
    ticket_id: int
    priority: str
    waiting_since: dt.datetime


@st.composite
def queues(draw: st.DrawFn, transfers: bool = True) -> list[Item]:
    kinds = PRIORITIES if transfers else PRIORITIES[:3]
    specs = draw(
        st.lists(st.tuples(st.sampled_from(kinds), st.integers(0, 30)), min_size=0, max_size=25)
    )
    return [
        Item(i + 1, kind, T0 + dt.timedelta(seconds=offset))
        for i, (kind, offset) in enumerate(specs)
    ]


histories = st.lists(st.sampled_from(PRIORITIES), max_size=8)
ratios = st.integers(1, 5)


def _streaks(order: list[Item], history: list[str]) -> list[int]:
    """The priority streak before each pick of `order`."""
    streak, out = priority_streak(history), []
    for item in order:
        out.append(streak)
        if item.priority in PRIORITY_CLASSES:
            streak += 1
        elif item.priority != "transfer":
            streak = 0
    return out


@settings(max_examples=100, deadline=None)
@given(queues(), histories, ratios)
def test_priorities_honoured(waiting: list[Item], history: list[str], ratio: int) -> None:
    order = served_order(waiting, history, ratio)
    assert sorted(i.ticket_id for i in order) == sorted(i.ticket_id for i in waiting)
    n_transfer = sum(i.priority == "transfer" for i in waiting)
    assert all(i.priority == "transfer" for i in order[:n_transfer])
    streaks = _streaks(order, history)
    for pos, item in enumerate(order):
        rest = order[pos + 1 :]
        if item.priority == "normal" and any(r.priority in PRIORITY_CLASSES for r in rest):
            # A normal ticket goes before a waiting priority one only to end a full streak.
            assert streaks[pos] >= ratio
        # Within a class, oldest first.
        same = [r for r in rest if _class(r) == _class(item)]
        assert all(
            (item.waiting_since, item.ticket_id) < (r.waiting_since, r.ticket_id) for r in same
        )


def _class(item: Item) -> str:
    return "priority" if item.priority in PRIORITY_CLASSES else item.priority


@settings(max_examples=100, deadline=None)
@given(queues(), histories, ratios)
def test_ratio_respected(waiting: list[Item], history: list[str], ratio: int) -> None:
    order = served_order(waiting, history, ratio)
    streaks = _streaks(order, history)
    for pos, item in enumerate(order):
        normal_waiting = any(r.priority == "normal" for r in order[pos:])
        if item.priority in PRIORITY_CLASSES and normal_waiting:
            assert streaks[pos] < ratio, "a priority ticket went past a due normal one"


@settings(max_examples=100, deadline=None)
@given(queues(), histories, ratios, st.randoms(use_true_random=False))
def test_order_stable(
    waiting: list[Item], history: list[str], ratio: int, rnd: random.Random
) -> None:
    first = served_order(waiting, history, ratio)
    shuffled = list(waiting)
    rnd.shuffle(shuffled)
    assert served_order(shuffled, history, ratio) == first
    # Serving the head and recomputing leaves the rest in the same order.
    if first:
        head = first[0]
        assert next_ticket(waiting, priority_streak(history), ratio) == head
        rest = served_order([i for i in waiting if i != head], [*history, head.priority], ratio)
        assert rest == first[1:]


@settings(max_examples=80, deadline=None)
@given(
    queues(transfers=False),
    histories,
    ratios,
    st.lists(st.integers(0, 3), min_size=60, max_size=60),
)
def test_no_starvation(
    waiting: list[Item], history: list[str], ratio: int, arrivals: list[int]
) -> None:
    """Priority residents keep arriving; every normal ticket is still served in bounded takes."""
    left = list(waiting)
    normals = sorted(
        (i for i in waiting if i.priority == "normal"), key=lambda i: (i.waiting_since, i.ticket_id)
    )
    bound = {item.ticket_id: (rank + 1) * (ratio + 1) for rank, item in enumerate(normals)}
    streak = priority_streak(history)
    next_id = 1000
    for take, arriving in enumerate(arrivals, start=1):
        for _ in range(arriving):  # newcomers with priority
            next_id += 1
            left.append(Item(next_id, "elderly", T0 + dt.timedelta(hours=1, seconds=take)))
        item = next_ticket(left, streak, ratio)
        if item is None:
            assert not left
            continue
        left.remove(item)
        streak = streak + 1 if item.priority in PRIORITY_CLASSES else 0
        if item.ticket_id in bound:
            assert take <= bound.pop(item.ticket_id)
    assert all(limit > len(arrivals) for limit in bound.values()), "a normal ticket starved"


def test_priority_from_birth_date_and_assistance() -> None:
    today = dt.date(2026, 11, 22)
    assert age_on(dt.date(1956, 11, 22), today) == 70
    assert age_on(dt.date(1956, 11, 23), today) == 69
    assert join_priority(dt.date(1956, 11, 22), False, today) == "elderly"
    assert join_priority(dt.date(1956, 11, 23), False, today) == "normal"
    assert join_priority(dt.date(1956, 11, 23), True, today) == "assistance"
    assert join_priority(None, True, today) == "assistance"
    assert join_priority(dt.date(1940, 2, 29), True, today) == "elderly"
    assert priority_streak(["elderly", "normal", "assistance", "transfer", "elderly"]) == 2


def test_overdue_threshold_and_ratio_validation() -> None:
    assert not is_overdue(T0, T0 + dt.timedelta(seconds=600), 600)
    assert is_overdue(T0, T0 + dt.timedelta(seconds=601), 600)
    try:
        served_order([], [], 0)
    except ValueError:
        pass
    else:
        raise AssertionError("ratio 0 accepted")
