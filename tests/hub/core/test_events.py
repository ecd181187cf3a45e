"""The hub's event bus: typed delivery in subscription order, refusal by publish, announce."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from backoffice_console.hub.core.events import EventBus


@dataclass(frozen=True)
class Ping:
    n: int


@dataclass(frozen=True)
class Pong:
    n: int


async def test_listeners_get_their_type_only_in_subscription_order() -> None:
    bus = EventBus()
    seen: list[str] = []

    async def first(event: Ping) -> None:
        seen.append(f"first {event.n}")

    async def second(event: Ping) -> None:
        seen.append(f"second {event.n}")

    async def other(event: Pong) -> None:
        seen.append(f"pong {event.n}")

    bus.subscribe(Ping, first)
    bus.subscribe(Pong, other)
    bus.subscribe(Ping, second)
    await bus.publish(Ping(1))
    await bus.publish(Pong(2))
    assert seen == ["first 1", "second 1", "pong 2"]
    assert bus.listeners(Ping) == [first, second]


async def test_publish_stops_at_a_refusing_listener_and_raises() -> None:
    bus = EventBus()
    ran: list[str] = []

    async def refuse(_: Ping) -> None:
        ran.append("refuse")
        raise ValueError("closed")

    async def after(_: Ping) -> None:
        ran.append("after")

    bus.subscribe(Ping, refuse)
    bus.subscribe(Ping, after)
    with pytest.raises(ValueError, match="closed"):
        await bus.publish(Ping(1))
    assert ran == ["refuse"]


async def test_announce_runs_every_listener_and_logs_a_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = EventBus()
    ran: list[str] = []

    async def broken(_: Ping) -> None:
        ran.append("broken")
        raise RuntimeError("database away")

    async def after(_: Ping) -> None:
        ran.append("after")

    bus.subscribe(Ping, broken)
    bus.subscribe(Ping, after)
    await bus.announce(Ping(1))
    assert ran == ["broken", "after"]
    assert "a listener of Ping failed" in caplog.text


async def test_an_event_nobody_listens_to_is_fine() -> None:
    await EventBus().publish(Ping(1))
