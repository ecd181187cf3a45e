"""The hub's typed event bus: domains publish events, other domains listen.

A domain that wants to tell others something defines a frozen dataclass in its
`events.py` and publishes it; a domain that cares subscribes in its own
`routes.setup`, so who listens to what is visible in one place per domain (and
`EventBus.listeners` lists it).

Listeners run one after another, in the order they subscribed, and are awaited.
`publish` is for a step that others may take part in: an event published inside
a database transaction (it carries the `AsyncSession`) is handled inside that
transaction, and a listener that raises (`HubError`) refuses the step that
published it (that is how a closed service point refuses a kiosk's queue join).
`announce` is for news after the fact: every listener runs, and one that fails
is logged without keeping the others from their turn.

One process, one bus. Several hub instances share live state through the
database today; a bus across instances would implement this same interface.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)

E = TypeVar("E")
Listener = Callable[[E], Awaitable[None]]


class EventBus:
    """Typed publish/subscribe inside one hub process (see the module docstring)."""

    def __init__(self) -> None:
        self._listeners: dict[type[Any], list[Listener[Any]]] = {}

    def subscribe(self, kind: type[E], listener: Listener[E]) -> None:
        """Call `listener(event)` for every published event of exactly type `kind`."""
        self._listeners.setdefault(kind, []).append(listener)

    async def publish(self, event: object) -> None:
        """Hand `event` to its listeners in turn; an exception stops and propagates."""
        for listener in self._listeners.get(type(event), ()):
            await listener(event)

    async def announce(self, event: object) -> None:
        """Hand `event` to every listener; one that fails is logged and the rest still run."""
        for listener in self._listeners.get(type(event), ()):
            try:
                await listener(event)
            except Exception:
                log.exception("%s: a listener of %s failed", listener, type(event).__name__)

    def listeners(self, kind: type[Any]) -> list[Listener[Any]]:
        """The listeners of `kind`, in the order they run."""
        return list(self._listeners.get(kind, ()))
