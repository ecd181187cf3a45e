"""The kiosk controller on a transfer (same session, new peer, new offer) and on reconnecting."""

from __future__ import annotations

import asyncio

from kiosk.app import KioskController, KioskState
from shared.protocol import RtcOffer, SessionEnded
from shared.protocol.messages import Role
from shared.protocol.routing import SessionTransferred
from tests.support.kiosk_fakes import FakeHub, FakePeer, call_started, session_started

T = 5.0


async def test_transferred_call_offers_again_under_the_same_session() -> None:
    FakePeer.instances.clear()
    hub = FakeHub()
    c = KioskController(hub, peer_factory=FakePeer, ended_home_seconds=0.2)
    await asyncio.wait_for(c.handle_connection(True), T)
    assert await asyncio.wait_for(c.start_service(), T)
    await asyncio.wait_for(c.handle_message(session_started()), T)
    first = await call_started(c)
    first.connect()

    # Queued to a line: the old peer closes, the call waits (still in the call screen).
    await c.handle_message(SessionTransferred(session_id="s1", waiting=True))
    await asyncio.wait_for(c._tasks.settled(), T)
    assert first.closed and len(FakePeer.instances) == 1
    assert c.state == KioskState.IN_CALL and c.officer_name is None and c.session_id == "s1"
    assert c.transfer_waiting  # the screens say 正在为您转接

    # A notice for another session changes nothing.
    await c.handle_message(SessionTransferred(session_id="other", peer_name="x"))
    await asyncio.wait_for(c._tasks.settled(), T)
    assert len(FakePeer.instances) == 1

    # Taken by a new officer: a fresh peer offers under the same session.
    offers_before = sum(isinstance(m, RtcOffer) for m in hub.sent)
    await c.handle_message(SessionTransferred(session_id="s1", peer_name="李警官"))
    await asyncio.wait_for(c._tasks.settled(), T)
    second = FakePeer.instances[-1]
    assert second is not first and second.started and not second.closed
    assert second.kwargs["offerer"] is True
    offers = [m for m in hub.sent if isinstance(m, RtcOffer)]
    assert len(offers) == offers_before + 1 and offers[-1].session_id == "s1"
    assert c.officer_name == "李警官" and c.state == KioskState.IN_CALL
    assert not c.transfer_waiting

    # The call then ends normally.
    await c.handle_message(SessionEnded(session_id="s1", reason="hangup", by=Role.OFFICER))
    assert c.state == KioskState.ENDED and second.closed
    await asyncio.wait_for(c.shutdown(), T)


class _Monitor:
    """Stands in for the kiosk's HealthMonitor: its last report did not reach the hub."""

    def __init__(self) -> None:
        self.send_error: str | None = "hub unreachable"
        self.sends = 0

    def start(self) -> None:
        pass

    async def send(self) -> bool:
        self.sends += 1
        self.send_error = None
        return True

    async def close(self) -> None:
        pass


async def test_a_missed_health_report_goes_out_when_the_hub_connects() -> None:
    c = KioskController(FakeHub(), peer_factory=FakePeer)
    monitor = _Monitor()
    c.health = monitor
    await asyncio.wait_for(c.handle_connection(True), T)
    await asyncio.wait_for(c._tasks.settled(), T)
    assert monitor.sends == 1 and monitor.send_error is None
    # Connected again with nothing pending: no second report.
    await asyncio.wait_for(c.handle_connection(True), T)
    await asyncio.wait_for(c._tasks.settled(), T)
    assert monitor.sends == 1
    await asyncio.wait_for(c.shutdown(), T)
