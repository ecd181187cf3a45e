"""KioskController state machine against a scripted hub and peer (plain asyncio, no Qt)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from kiosk.app import KioskController, KioskState
from shared.protocol import (
    CallState,
    CallStateReport,
    QueueStatus,
    RtcAnswer,
    RtcOffer,
    SessionEnd,
    SessionEnded,
)
from shared.protocol.messages import Role
from tests.support.kiosk_fakes import FakeHub, FakePeer, session_started
from tests.support.waiting import until

T = 5.0  # bound for every await


@pytest.fixture
def hub() -> FakeHub:
    return FakeHub()


@pytest.fixture
def controller(hub: FakeHub) -> KioskController:
    FakePeer.instances.clear()
    return KioskController(hub, peer_factory=FakePeer, ended_home_seconds=0.2)


async def _online(c: KioskController) -> None:
    await asyncio.wait_for(c.handle_connection(True), T)


async def _in_call(hub: FakeHub) -> FakePeer:
    """Waits for the peer the controller starts in a task, and for its offer."""
    await until(lambda: any(isinstance(m, RtcOffer) for m in hub.sent), "the peer's offer")
    return FakePeer.instances[-1]


async def _reported(hub: FakeHub, *states: CallState) -> None:
    def sent() -> list[CallState]:
        return [m.state for m in hub.sent if isinstance(m, CallStateReport)]

    await until(lambda: sent() == list(states), f"call-state reports {states}")


async def test_starts_offline_and_goes_idle_when_welcomed(controller: KioskController) -> None:
    events: list[str] = []
    controller.add_listener(events.append)
    assert controller.state == KioskState.OFFLINE
    await asyncio.wait_for(controller.start(), T)
    await _online(controller)
    assert controller.state == KioskState.IDLE
    assert controller.point_name == "幸福社区居委会"
    assert "state" in events
    await asyncio.wait_for(controller.shutdown(), T)


async def test_full_visit_with_own_hangup(controller: KioskController, hub: FakeHub) -> None:
    await _online(controller)
    assert await asyncio.wait_for(controller.start_service(), T)
    assert controller.state == KioskState.WAITING
    assert hub.types() == ["queue.join"]
    since = datetime.now(UTC) - timedelta(seconds=65)
    await controller.handle_message(QueueStatus(ticket_id=7, position=2, waiting_since=since))
    assert controller.queue_position == 2
    assert controller.waiting_since == pytest.approx(since.timestamp())

    await asyncio.wait_for(controller.handle_message(session_started()), T)
    peer = await _in_call(hub)
    assert controller.state == KioskState.IN_CALL
    assert controller.officer_name == "王警官"
    assert peer.started and peer.kwargs["offerer"] is True and peer.kwargs["ice_servers"] == []
    offer = hub.sent[-1]
    assert isinstance(offer, RtcOffer) and offer.session_id == "s1"

    await controller.handle_message(RtcAnswer(session_id="s1", sdp="v=0 answer"))
    await controller.handle_message(RtcAnswer(session_id="other", sdp="v=0 stale"))
    assert peer.answers == ["v=0 answer"]

    peer.connect(frames=37)
    await _reported(hub, CallState.CONNECTED)  # the report is sent by a task
    assert controller.call_state == CallState.CONNECTED
    assert controller.remote_frame() is not None

    await asyncio.wait_for(controller.hang_up(), T)
    ends = [m for m in hub.sent if isinstance(m, SessionEnd)]
    assert ends and ends[0].session_id == "s1"
    assert controller.state == KioskState.ENDED and peer.closed
    # The hub's echo is harmless.
    await controller.handle_message(SessionEnded(session_id="s1", reason="hangup", by=Role.KIOSK))
    stats = controller.refresh_stats()
    assert stats["session_id"] == "s1"
    assert stats["ended_reason"] == "hangup" and stats["ended_by"] == "kiosk"
    assert stats["frames_received"] == 37 and stats["hung_up_at"] is not None
    for key in ("start_clicked_at", "session_started_at", "first_connected_at"):
        assert isinstance(stats[key], float)
    # Back home after `ended_home_seconds`.
    await until(lambda: controller.state == KioskState.IDLE, "the way back home")
    await asyncio.wait_for(controller.shutdown(), T)


async def test_officer_hangs_up(controller: KioskController, hub: FakeHub) -> None:
    await _online(controller)
    await controller.start_service()
    await controller.handle_message(session_started())
    await _in_call(hub)
    await controller.handle_message(SessionEnded(session_id="s1", reason="hangup", by=Role.OFFICER))
    assert controller.state == KioskState.ENDED
    assert controller.stats["ended_by"] == "officer"
    assert controller.session_ended.is_set()
    controller.go_home()
    assert controller.state == KioskState.IDLE


async def test_cancel_while_waiting(controller: KioskController, hub: FakeHub) -> None:
    await _online(controller)
    await controller.start_service()
    await controller.cancel_waiting()
    assert controller.state == KioskState.IDLE
    assert hub.types() == ["queue.join", "queue.leave"]


async def test_join_failure_shows_error(controller: KioskController, hub: FakeHub) -> None:
    await _online(controller)
    hub.fail = True
    assert not await controller.start_service()
    assert controller.state == KioskState.IDLE
    assert controller.error == "error.start_failed"


async def test_reconnecting_is_reported(controller: KioskController, hub: FakeHub) -> None:
    await _online(controller)
    await controller.start_service()
    await controller.handle_message(session_started())
    peer = await _in_call(hub)
    peer.connect()
    peer.set_state(CallState.RECONNECTING)
    await _reported(hub, CallState.CONNECTED, CallState.RECONNECTING)
    assert controller.call_state == CallState.RECONNECTING


async def test_hub_drop_in_call_then_back(controller: KioskController, hub: FakeHub) -> None:
    await _online(controller)
    await controller.start_service()
    await controller.handle_message(session_started())
    peer = await _in_call(hub)
    await controller.handle_connection(False)
    assert controller.state == KioskState.ENDED and controller.connection_lost and peer.closed
    # Twice `ended_home_seconds`: the ended page stays until the hub is back.
    await asyncio.sleep(0.4)  # not a wait: watching that nothing happens
    assert controller.state == KioskState.ENDED
    await controller.handle_connection(True)
    await until(lambda: controller.state == KioskState.IDLE, "the way back home")
    assert not controller.connection_lost


async def test_hub_drop_while_waiting_goes_offline(controller: KioskController) -> None:
    await _online(controller)
    await controller.start_service()
    await controller.handle_connection(False)
    assert controller.state == KioskState.OFFLINE
    await controller.handle_connection(True)
    assert controller.state == KioskState.IDLE


async def test_shutdown_in_call_hangs_up(controller: KioskController, hub: FakeHub) -> None:
    await _online(controller)
    await controller.start_service()
    await controller.handle_message(session_started())
    peer = await _in_call(hub)
    await asyncio.wait_for(controller.shutdown(), T)
    assert any(isinstance(m, SessionEnd) for m in hub.sent)
    assert peer.closed and hub.closed


async def test_failed_peer_start_ends_session(hub: FakeHub) -> None:
    def broken(**kwargs: object) -> FakePeer:
        raise RuntimeError("no codec")

    c = KioskController(hub, peer_factory=broken, ended_home_seconds=10)
    await _online(c)
    await c.start_service()
    await c.handle_message(session_started())
    await until(lambda: c.state == KioskState.ENDED, "the session to end")
    assert c.stats["ended_reason"] == "error"
    assert any(isinstance(m, SessionEnd) and m.reason == "error" for m in hub.sent)
    await asyncio.wait_for(c.shutdown(), T)


async def test_stray_messages_are_ignored(controller: KioskController) -> None:
    await _online(controller)
    # Session start while idle is accepted (ticket from an earlier join); others are ignored.
    await controller.handle_message(RtcOffer(session_id="x", sdp="v=0"))
    await controller.handle_message(SessionEnded(session_id="zzz", reason="hangup"))
    await controller.handle_message(
        QueueStatus(ticket_id=1, position=1, waiting_since=datetime.now(UTC))
    )
    assert controller.state == KioskState.IDLE and controller.queue_position is None


async def test_session_start_never_waits_for_the_offer_ack(
    controller: KioskController, hub: FakeHub
) -> None:
    # The hub client delivers acks on the same reader that calls handle_message:
    # awaiting the offer's ack there would deadlock until the request times out.
    await _online(controller)
    await controller.start_service()
    hub.block_offers = True
    await asyncio.wait_for(controller.handle_message(session_started()), 1.0)
    await _in_call(hub)  # the offer went out while its ack never came
    assert controller.state == KioskState.IN_CALL
    await asyncio.wait_for(controller.shutdown(), T)


async def test_the_hubs_end_crossing_our_hang_up_ends_the_call_once(
    controller: KioskController, hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hub's session.ended arrives while our own session.end is in flight and the
    peer is still closing: the call is ended (and the rating page opened) once."""
    await _online(controller)
    assert await asyncio.wait_for(controller.start_service(), T)
    await asyncio.wait_for(controller.handle_message(session_started()), T)
    await _in_call(hub)
    assert controller.state == KioskState.IN_CALL
    closes: list[str] = []
    close_peer = controller._close_peer

    async def slow_close() -> None:
        closes.append("close")
        await asyncio.sleep(0.05)  # not a wait: aiortc takes a while to close a peer
        await close_peer()

    monkeypatch.setattr(controller, "_close_peer", slow_close)
    request = hub.request
    echoes: list[asyncio.Task[None]] = []

    async def echoing(message: object, timeout: float = 10.0) -> object:
        ack = await request(message, timeout)
        if isinstance(message, SessionEnd):  # the hub's echo, read before our ack
            echo = SessionEnded(session_id="s1", reason="hangup", by=Role.KIOSK)
            echoes.append(asyncio.get_running_loop().create_task(controller.handle_message(echo)))
            await asyncio.sleep(0)  # the echo starts before the ack is returned
        return ack

    monkeypatch.setattr(hub, "request", echoing)
    await asyncio.wait_for(controller.hang_up(), T)
    await asyncio.wait_for(asyncio.gather(*echoes), T)
    assert len(echoes) == 1
    assert closes == ["close"] and controller.state == KioskState.ENDED
    await asyncio.wait_for(controller.shutdown(), T)
