"""The signaling a CallPeer needs, and an in-memory pair for tests and demos."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from shared.tasks import TaskKeeper

log = logging.getLogger(__name__)


class CallSignaling(Protocol):
    """Carries this side's SDP to the other side (over the hub in the apps)."""

    async def send_offer(self, sdp: str) -> None:
        """Send an offer (offerer only)."""
        ...

    async def send_answer(self, sdp: str) -> None:
        """Send an answer to the latest offer (answerer only)."""
        ...


SdpHandler = Callable[[str], Awaitable[None]]


class MemorySignaling:
    """One end of an in-memory signaling link, delivering to the other peer's handlers.

    Delivery is asynchronous (like a network) with an optional `delay`; `drop_offers`
    and `drop_answers` lose that many of the next messages, to test retries.
    Wire it with `connect(peer)` where `peer` has `handle_offer`/`handle_answer`.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.drop_offers = 0
        self.drop_answers = 0
        self.offers_sent = 0
        self.answers_sent = 0
        self._on_offer: SdpHandler | None = None
        self._on_answer: SdpHandler | None = None
        self._tasks = TaskKeeper("memory-signaling")

    def connect(self, peer: _SdpReceiver) -> None:
        """Deliver what this end sends to `peer`."""
        self._on_offer = peer.handle_offer
        self._on_answer = peer.handle_answer

    async def send_offer(self, sdp: str) -> None:
        """Deliver an offer to the other peer's `handle_offer`."""
        self.offers_sent += 1
        if self.drop_offers > 0:
            self.drop_offers -= 1
            return
        self._deliver(self._on_offer, sdp)

    async def send_answer(self, sdp: str) -> None:
        """Deliver an answer to the other peer's `handle_answer`."""
        self.answers_sent += 1
        if self.drop_answers > 0:
            self.drop_answers -= 1
            return
        self._deliver(self._on_answer, sdp)

    def _deliver(self, handler: SdpHandler | None, sdp: str) -> None:
        if handler is None:
            log.warning("memory signaling not connected; message lost")
            return
        self._tasks.start(self._later(handler, sdp), "deliver")

    async def _later(self, handler: SdpHandler, sdp: str) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        await handler(sdp)

    async def close(self) -> None:
        """Cancel messages still in flight."""
        await self._tasks.cancel_all()


class _SdpReceiver(Protocol):
    async def handle_offer(self, sdp: str) -> None: ...

    async def handle_answer(self, sdp: str) -> None: ...


def memory_signaling_pair(delay: float = 0.0) -> tuple[MemorySignaling, MemorySignaling]:
    """Two ends; after creating peers A and B: `sig_a.connect(b)`, `sig_b.connect(a)`."""
    return MemorySignaling(delay), MemorySignaling(delay)
