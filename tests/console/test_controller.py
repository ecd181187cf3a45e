"""ConsoleController state machine against a scripted hub and a stand-in peer (no Qt)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backoffice_console.app import (
    CallInfo,
    ConsoleController,
    ConsoleError,
    ConsoleObserver,
    Phase,
    QueueEntry,
    format_duration,
)
from backoffice_console.call_ports import SignalingLike
from backoffice_console.config import load_console_config
from shared.hubclient import HubAuthError, HubRequestError, HubUnavailable
from shared.protocol import (
    Ack,
    CallState,
    CallStateReport,
    IceServer,
    QueueSnapshot,
    Role,
    RtcAnswer,
    RtcOffer,
    SessionEnd,
    SessionEnded,
    SessionStarted,
    TicketInfo,
    TicketTake,
    Welcome,
)

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)


class FakeHub:
    """Scripted hub: records what the controller sends, answers requests as told."""

    def __init__(self, on_message: Any, on_connection: Any) -> None:
        self.on_message = on_message
        self.on_connection = on_connection
        self.sent: list[Any] = []
        self.welcome: Welcome | None = None
        self.login_error: Exception | None = None
        self.take_error: Exception | None = None
        self.take_hook: Callable[[], Any] | None = None
        self.sessions: Any = []
        self.closed = False
        self.ended: str | None = None

    async def login_officer(
        self, username: str, password: str, *, totp_code: str | None = None
    ) -> dict[str, Any]:
        if self.login_error is not None:
            raise self.login_error
        return {"id": 7, "username": username, "display_name": "王警官", "role": "officer"}

    async def connect(self) -> Welcome:
        self.welcome = Welcome(
            role=Role.OFFICER, subject_id=7, display_name="王警官", server_time=datetime.now(UTC)
        )
        await self.on_connection(True)
        return self.welcome

    async def request(self, message: Any, timeout: float = 10.0) -> Ack:
        self.sent.append(message)
        if isinstance(message, TicketTake):
            if self.take_error is not None:
                raise self.take_error
            if self.take_hook is not None:
                await self.take_hook()
        return Ack(re="r1")

    async def send(self, message: Any) -> None:
        self.sent.append(message)

    async def get_json(self, path: str, **params: str) -> Any:
        self.sent.append(("GET", path, params))
        return self.sessions

    async def close(self) -> None:
        self.closed = True


class FakePeer:
    """Stand-in for shared.rtc.CallPeer(offerer=False)."""

    def __init__(
        self,
        ice: list[IceServer],
        signaling: SignalingLike,
        on_state: Callable[[CallState], None],
    ) -> None:
        self.ice = ice
        self.signaling = signaling
        self.on_state = on_state
        self.state = CallState.CONNECTING
        self.reconnects = 0
        self.offers: list[str] = []
        self.started = False
        self.closed = False

    async def start(self) -> None:
        self.started = True

    async def handle_offer(self, sdp: str) -> None:
        self.offers.append(sdp)
        if len(self.offers) > 1:
            self.reconnects += 1
        await self.signaling.send_answer(f"answer-to-{sdp}")

    def set_state(self, state: CallState) -> None:
        self.state = state
        self.on_state(state)

    async def close(self) -> None:
        self.closed = True

    def stats(self) -> dict[str, object]:
        return {}


class Recorder(ConsoleObserver):
    """Observer that remembers every event."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def connection_changed(self, connected: bool) -> None:
        self.events.append(("connection", connected))

    def queue_changed(self, entries: list[QueueEntry]) -> None:
        self.events.append(("queue", [e.ticket_id for e in entries]))

    def call_started(self, call: CallInfo) -> None:
        self.events.append(("started", call.session_id))

    def call_state_changed(self, call: CallInfo) -> None:
        self.events.append(("state", call.state))

    def call_ended(self, session_id: str, reason: str, by: str | None) -> None:
        self.events.append(("ended", (session_id, reason, by)))

    def notice(self, key: str) -> None:
        self.events.append(("notice", key))

    def of(self, kind: str) -> list[Any]:
        return [value for k, value in self.events if k == kind]


def make() -> tuple[ConsoleController, Recorder, dict[str, Any]]:
    made: dict[str, Any] = {"peers": []}

    def hub_factory(on_message: Any, on_connection: Any) -> FakeHub:
        made["hub"] = FakeHub(on_message, on_connection)
        if "login_error" in made:
            made["hub"].login_error = made["login_error"]
        return made["hub"]

    def peer_factory(ice: Any, signaling: Any, on_state: Any) -> FakePeer:
        peer = FakePeer(ice, signaling, on_state)
        made["peers"].append(peer)
        return peer

    recorder = Recorder()
    return ConsoleController(hub_factory, peer_factory, recorder), recorder, made


def ticket(ticket_id: int, minutes_ago: float, now: datetime | None = None) -> TicketInfo:
    now = now or datetime.now(UTC)
    return TicketInfo(
        ticket_id=ticket_id,
        point_name="东湖社区居委会",
        kiosk_name=f"K{ticket_id}",
        matter="低保申请",
        waiting_since=now - timedelta(minutes=minutes_ago),
    )


def started(session_id: str = "s1") -> SessionStarted:
    return SessionStarted(
        session_id=session_id, ticket_id=3, offerer=False, peer_name="东湖社区 K3", ice_servers=[]
    )


async def logged_in() -> tuple[ConsoleController, Recorder, dict[str, Any]]:
    controller, recorder, made = make()
    await asyncio.wait_for(controller.login("wang", "secret"), 5)
    return controller, recorder, made


async def test_login_success_sets_phase_and_stats() -> None:
    controller, recorder, _ = await logged_in()
    assert controller.phase is Phase.QUEUE
    assert controller.display_name == "王警官"
    assert controller.stats.logged_in_at is not None
    assert recorder.of("connection") == [True]


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (HubAuthError("no"), "login.error.credentials"),
        (HubUnavailable("down"), "login.error.unreachable"),
        (HubRequestError("rate_limited", "slow down"), "login.error.rate_limited"),
    ],
)
async def test_login_errors_become_keys(error: Exception, key: str) -> None:
    controller, _, made = make()
    made["login_error"] = error
    with pytest.raises(ConsoleError) as info:
        await asyncio.wait_for(controller.login("wang", "bad"), 5)
    assert info.value.key == key
    assert controller.phase is Phase.LOGGED_OUT
    assert made["hub"].closed
    # A failed attempt leaves the controller ready for another.
    made.pop("login_error")
    await asyncio.wait_for(controller.login("wang", "good"), 5)
    assert controller.phase is Phase.QUEUE


async def test_login_requires_both_fields() -> None:
    controller, _, made = make()
    with pytest.raises(ConsoleError) as info:
        await controller.login("  ", "x")
    assert info.value.key == "login.error.empty"
    assert "hub" not in made


async def test_queue_snapshot_keeps_the_hubs_served_order() -> None:
    controller, recorder, _ = await logged_in()
    # The hub orders by the routing rules (priorities first), not only by age.
    snapshot = QueueSnapshot(tickets=[ticket(1, 1), ticket(2, 9), ticket(3, 4)])
    await controller.handle_message(snapshot)
    assert [e.ticket_id for e in controller.queue] == [1, 2, 3]
    assert recorder.of("queue")[-1] == [1, 2, 3]
    waited = controller.queue[1].waiting_seconds(controller.hub_now())
    assert 9 * 60 - 2 <= waited <= 9 * 60 + 2


def test_format_duration() -> None:
    assert format_duration(0) == "00:00"
    assert format_duration(65.9) == "01:05"
    assert format_duration(3725) == "62:05"
    assert format_duration(-3) == "00:00"


async def test_take_conflict_gives_clear_message() -> None:
    controller, _, made = await logged_in()
    made["hub"].take_error = HubRequestError("conflict", "ticket already taken")
    with pytest.raises(ConsoleError) as info:
        await asyncio.wait_for(controller.take(5), 5)
    assert info.value.key == "error.ticket_taken"
    assert controller.phase is Phase.QUEUE


async def test_full_call_flow_with_reconnect_and_remote_hangup() -> None:
    controller, recorder, made = await logged_in()
    hub: FakeHub = made["hub"]

    async def session_arrives() -> None:
        # The hub sends SessionStarted before the ack of ticket.take.
        await controller.handle_message(started())

    hub.take_hook = session_arrives
    await asyncio.wait_for(controller.take(3), 5)
    assert controller.phase is Phase.IN_CALL
    assert controller.stats.took_at is not None
    assert recorder.of("started") == ["s1"]
    peer: FakePeer = made["peers"][0]
    assert peer.started

    await controller.handle_message(RtcOffer(session_id="s1", sdp="offer-1"))
    assert RtcAnswer(session_id="s1", sdp="answer-to-offer-1") in hub.sent

    peer.set_state(CallState.CONNECTED)
    await asyncio.sleep(0)
    assert controller.call is not None and controller.call.state is CallState.CONNECTED
    assert controller.stats.first_connected_at is not None
    assert CallStateReport(session_id="s1", state=CallState.CONNECTED) in hub.sent

    # The kiosk reports trouble: the officer sees "reconnecting" even though own media looks fine.
    await controller.handle_message(CallStateReport(session_id="s1", state=CallState.RECONNECTING))
    assert controller.call.state is CallState.RECONNECTING
    # The kiosk re-offers under the same session; the same peer object answers again.
    await controller.handle_message(RtcOffer(session_id="s1", sdp="offer-2"))
    assert RtcAnswer(session_id="s1", sdp="answer-to-offer-2") in hub.sent
    await controller.handle_message(CallStateReport(session_id="s1", state=CallState.CONNECTED))
    assert controller.call.state is CallState.CONNECTED
    assert recorder.of("state") == [
        CallState.CONNECTED,
        CallState.RECONNECTING,
        CallState.CONNECTED,
    ]

    # Messages for another session are ignored.
    await controller.handle_message(RtcOffer(session_id="other", sdp="x"))
    assert peer.offers == ["offer-1", "offer-2"]

    await controller.handle_message(SessionEnded(session_id="s1", reason="hangup", by=Role.KIOSK))
    assert controller.phase is Phase.QUEUE
    assert controller.call is None and peer.closed
    assert recorder.of("ended") == [("s1", "hangup", "kiosk")]
    assert controller.stats.ended_by == "kiosk"
    assert controller.stats.reconnects == 1
    assert controller.stats.calls_completed == 1


async def test_officer_hangup_sends_session_end() -> None:
    controller, recorder, made = await logged_in()
    await controller.handle_message(started("s9"))
    await controller.hang_up()
    assert SessionEnd(session_id="s9") in made["hub"].sent
    assert recorder.of("ended") == [("s9", "hangup", "officer")]
    assert made["peers"][0].closed
    # The hub's echo of the end is harmless.
    await controller.handle_message(SessionEnded(session_id="s9", reason="hangup", by=Role.OFFICER))
    assert len(recorder.of("ended")) == 1


async def test_peer_gone_and_hub_drop_end_the_call() -> None:
    controller, recorder, made = await logged_in()
    await controller.handle_message(started("a"))
    await controller.handle_message(SessionEnded(session_id="a", reason="peer_gone", by=Role.KIOSK))
    assert recorder.of("ended") == [("a", "peer_gone", "kiosk")]
    await controller.handle_message(started("b"))
    await made["hub"].on_connection(False)
    assert recorder.of("ended")[-1] == ("b", "hub_lost", None)
    assert "notice.hub_lost_call" in recorder.of("notice")
    assert controller.phase is Phase.QUEUE
    assert recorder.of("connection")[-1] is False


def _session_row(session_id: str, started_at: str, **fields: Any) -> dict[str, Any]:
    """A row of `GET /api/v1/sessions` as the hub sends it."""
    return {
        "session_id": session_id, "ticket_id": 1, "officer_id": 7, "point_name": "P",
        "kiosk_name": "K", "officer_name": "王警官", "matter": None, "matter_name": None,
        "started_at": started_at, "offer_at": None, "answered_at": None, "connected_at": None,
        "ended_at": None, "end_reason": None, "ended_by": None, "reconnects": 0, **fields,
    }  # fmt: skip


async def test_history_parsed_newest_first() -> None:
    controller, _, made = await logged_in()
    made["hub"].sessions = [
        _session_row("a", "2024-05-06T08:00:00+00:00", matter="civil.dbsq",
                     ended_at="2024-05-06T08:03:30+00:00", end_reason="hangup",
                     ended_by="kiosk", reconnects=1),
        _session_row("b", "2024-05-06T09:00:00Z", matter="civil.dbsq", matter_name="低保申请"),
    ]  # fmt: skip
    rows = await controller.load_history(date(2024, 5, 6))
    assert ("GET", "/api/v1/sessions", {"day": "2024-05-06"}) in made["hub"].sent
    assert [r.session_id for r in rows] == ["b", "a"]
    assert rows[1].duration_s == 210 and rows[1].matter == "civil.dbsq"
    assert rows[0].duration_s is None and rows[0].matter == "低保申请"


async def test_history_refuses_an_answer_that_is_not_the_sessions_list() -> None:
    controller, _, made = await logged_in()
    for answer in (
        [_session_row("x", "not a time")],
        [_session_row("a", "2024-05-06T08:00:00+00:00"), "garbage"],
        {"sessions": []},
    ):
        made["hub"].sessions = answer
        with pytest.raises(ConsoleError) as err:
            await controller.load_history(date(2024, 5, 6))
        assert err.value.key == "error.history_failed" and "SessionList" in err.value.detail


async def test_close_hangs_up_and_closes_hub() -> None:
    controller, _, made = await logged_in()
    await controller.handle_message(started("z"))
    await asyncio.wait_for(controller.close(), 5)
    assert SessionEnd(session_id="z") in made["hub"].sent
    assert made["hub"].closed
    assert controller.phase is Phase.LOGGED_OUT
    await controller.close()  # twice is fine


def test_config_defaults_and_env_override(tmp_path: Path) -> None:
    path = tmp_path / "console.toml"
    path.write_text('[hub]\nurl = "https://127.0.0.1:9999"\nca_file = "tls/ca.pem"\n')
    config = load_console_config(path, environ={"VW_CONSOLE__UI__LANGUAGE": "en"})
    assert config.hub.url == "https://127.0.0.1:9999"
    assert config.ca_file == (tmp_path / "tls" / "ca.pem").resolve()
    assert config.ui.language == "en"
    assert config.rtc.loopback is False
    assert config.camera.kind == "synthetic"
