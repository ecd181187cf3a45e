"""The kiosk's logic, free of Qt: queue, call and hang-up, driven by the UI and by the hub.

`KioskController` is a small state machine::

    OFFLINE --hub welcomes--> IDLE --start--> WAITING --session.started--> IN_CALL
       ^                        ^  <--cancel--'                              |
       |                        '------ (a few seconds) ----- ENDED <--------'
       '------------- hub lost (from IDLE/WAITING; from IN_CALL via ENDED) ---'

The UI (humble view) calls `start_service()`, `cancel_waiting()`, `hang_up()`
and `go_home()`, and re-reads the controller's public attributes whenever a
listener added with `add_listener()` fires. The hub client is wired to
`handle_message()` and `handle_connection()`. Tests drive all of it with plain
asyncio and stand-ins for the hub and the peer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from kiosk.call_ports import (
    HubPort,
    HubSignaling,
    PeerFactory,
    PeerLike,
    default_peer_factory,
    empty_stats,
)
from kiosk.devices.idcard import CardReader, IdCardReaderConfig
from kiosk.identity import IdCardDesk
from kiosk.materials import CaptureDesk
from kiosk.printing import PrintDesk, PrinterSection
from kiosk.signing import SignDesk
from shared.hubclient import DeviceCredential, HubAuthError, HubError
from shared.media import VideoSource
from shared.protocol import (
    CallState,
    CallStateReport,
    DeviceCommand,
    IceServer,
    QueueJoin,
    QueueLeave,
    QueueStatus,
    RtcAnswer,
    RtcOffer,
    SessionEnd,
    SessionEnded,
    SessionStarted,
)
from shared.protocol.cases import ChecklistStatus
from shared.protocol.routing import SessionTransferred
from shared.tasks import TaskKeeper

log = logging.getLogger(__name__)


class KioskState(StrEnum):
    """What the kiosk is doing, as the touch screen shows it."""

    OFFLINE = "offline"
    IDLE = "idle"
    WAITING = "waiting"
    IN_CALL = "in_call"
    ENDED = "ended"


Listener = Callable[[str], None]
"""Told what changed: "state", "queue", "call" or "hub"."""


class KioskController:
    """The whole kiosk flow (see module docstring)."""

    CONNECT_RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0)
    REFUSED_RETRY_S = 300.0
    """A refused credential (revoked kiosk) is tried again this rarely, never in a tight loop."""

    def __init__(
        self,
        hub: HubPort,
        *,
        video: VideoSource | None = None,
        credential: DeviceCredential | None = None,
        peer_factory: PeerFactory | None = None,
        ended_home_seconds: float = 5.0,
        matter: str | None = None,
        idcard: IdCardReaderConfig | None = None,
        card_reader_factory: Callable[[IdCardReaderConfig], CardReader] | None = None,
        printer: PrinterSection | None = None,
        state_dir: Path | None = None,
        capture: CaptureDesk | None = None,
    ) -> None:
        self.hub = hub
        self.video = video
        self._credential = credential
        self._peer_factory = peer_factory or default_peer_factory
        self.ended_home_seconds = ended_home_seconds
        self.matter = matter
        self.state_dir = state_dir or Path("state")  # caches (catalogue) live here
        self._tasks = TaskKeeper("kiosk")
        self._listeners: list[Listener] = []
        self._home_task: asyncio.Task[Any] | None = None
        self._closed = False
        # Public, read by the UI.
        self.state = KioskState.OFFLINE
        self.hub_connected = False
        self.point_name: str | None = None
        self.queue_position: int | None = None
        self.waiting_since: float | None = None  # time.time()
        self.session_id: str | None = None
        self.officer_name: str | None = None
        self._call_ice_servers: list[IceServer] = []
        self.call_state: CallState | None = None
        self.remote_call_state: CallState | None = None
        self.transfer_waiting = False  # transferred to a line: waiting for its next officer
        self.peer: PeerLike | None = None
        self.connection_lost = False  # the last call ended because the hub went away
        self.ended_reason: str | None = None
        self.ended_by: str | None = None
        self.error: str | None = None  # i18n key of the last user-facing error
        self.ended_at: float | None = None  # time.monotonic()
        self._ending = False  # a call is being ended (its peer closing)
        self.stats: dict[str, Any] = empty_stats()
        self.session_ended = asyncio.Event()
        desk_args: dict[str, Any] = {}
        if card_reader_factory is not None:
            desk_args["reader_factory"] = card_reader_factory
        self.idcard = IdCardDesk(
            idcard or IdCardReaderConfig(backend="manual"),
            hub,
            lambda: self._notify("idcard"),
            **desk_args,
        )
        # Remote print and signatures (issue 5): the desks use the hub client's HTTP side too.
        documents_hub: Any = hub
        self.printing = PrintDesk(
            printer or PrinterSection(),
            documents_hub,
            lambda: self._notify("printing"),
            (state_dir or Path("state")) / "print-queue.sqlite3",
        )
        self.signing = SignDesk(documents_hub, lambda: self._notify("signing"))
        # Page capture and its outbox (kiosk.materials); None: no document camera.
        self.capture = capture
        self.checklist: ChecklistStatus | None = None
        """The matter's checklist of the current call (pushed by the hub, no personal data)."""
        # The technician's health monitor (kiosk.health.monitor.HealthMonitor), set by the
        # wiring; its unavailable_devices() decides which matters are offered.
        self.health: Any = None
        # The rating page after a call (kiosk.rating.RatingDesk), set by the wiring.
        self.rating: Any = None

    # --- observers -----------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(what)` after every change."""
        self._listeners.append(listener)

    def _notify(self, what: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(what)
            except Exception:
                log.exception("kiosk listener failed")

    def _set_state(self, state: KioskState) -> None:
        if state != self.state:
            log.info("kiosk state %s -> %s", self.state, state)
            self.state = state
        self._notify("state")

    def remote_frame(self) -> Any:
        """The newest frame of the officer's video (numpy RGB) or None."""
        peer = self.peer
        return None if peer is None else peer.remote_video.latest()

    def local_frame(self) -> Any:
        """The newest frame of the kiosk's own camera, for the self view."""
        return None if self.video is None else self.video.latest()

    # --- life cycle ----------------------------------------------------------

    async def start(self) -> None:
        """Start the camera (a broken camera is logged, not fatal) and connect to the hub."""
        if self.video is not None:
            try:
                await self.video.start()
            except Exception as exc:
                log.error("camera could not start: %s", exc)
                self.error = "error.camera"
                self._notify("hub")
        if self.capture is not None:
            await self.capture.start()
        self._tasks.start(self._connect_loop(), "connect")
        if self.health is not None:
            self.health.start()

    async def _connect_loop(self) -> None:
        attempt = 0
        while not self._closed:
            try:
                if self._credential is not None:
                    await self.hub.login_device(self._credential)
                await self.hub.connect()
                return  # from here the hub client reconnects by itself
            except HubAuthError as exc:
                log.error("the hub refused this kiosk's credential: %s", exc)
                self.error = "error.credential_refused"
                self._notify("hub")
                await asyncio.sleep(self.REFUSED_RETRY_S)
                continue
            except HubError as exc:
                log.info("hub not reachable yet: %s", exc)
            except Exception:
                log.exception("connecting to the hub failed")
            delay = self.CONNECT_RETRY_DELAYS[min(attempt, len(self.CONNECT_RETRY_DELAYS) - 1)]
            attempt += 1
            await asyncio.sleep(delay)

    async def shutdown(self) -> None:
        """Hang up if in a call, close the peer, the camera and the hub client. Never raises."""
        if self._closed:
            return
        self._closed = True
        if self.state == KioskState.IN_CALL and self.session_id is not None:
            self.stats["hung_up_at"] = time.time()
            with contextlib.suppress(Exception):
                await self.hub.request(SessionEnd(session_id=self.session_id), timeout=2.0)
        elif self.state == KioskState.WAITING:
            with contextlib.suppress(Exception):
                await self.hub.request(QueueLeave(), timeout=2.0)
        await self._close_peer()
        await self._tasks.cancel_all()
        if self.health is not None:
            with contextlib.suppress(Exception):
                await self.health.close()
        if self.rating is not None:
            await self.rating.shutdown()
        if self.video is not None:
            with contextlib.suppress(Exception):
                await self.video.stop()
        with contextlib.suppress(Exception):
            await self.idcard.close()
        with contextlib.suppress(Exception):
            await self.printing.close()
        with contextlib.suppress(Exception):
            await self.signing.close()
        if self.capture is not None:
            with contextlib.suppress(Exception):
                await self.capture.close()
        with contextlib.suppress(Exception):
            await self.hub.close()

    # --- UI actions ----------------------------------------------------------

    async def start_service(
        self, matter: str | None = None, *, assistance: bool = False, birth_date: date | None = None
    ) -> bool:
        """The resident pressed 开始办理: join the queue. False (and `error` set) on failure.

        `matter` (default: the configured one), `assistance` and `birth_date` (from a card
        read at the kiosk; the hub keeps only the 70+ flag) come from the start pages.
        """
        if self.state != KioskState.IDLE:
            log.info("start ignored in state %s", self.state)
            return False
        self.stats = empty_stats()
        self.stats["start_clicked_at"] = time.time()
        self.session_ended = asyncio.Event()
        self.error = None
        self.queue_position = None
        self.waiting_since = time.time()
        self._set_state(KioskState.WAITING)
        try:
            join = QueueJoin(
                matter=matter or self.matter, assistance=assistance, birth_date=birth_date
            )
            await self.hub.request(join)
        except HubError as exc:
            log.warning("queue.join failed: %s", exc)
            if self.state == KioskState.WAITING:
                self.error = "error.start_failed"
                self._set_state(KioskState.IDLE if self.hub_connected else KioskState.OFFLINE)
            return False
        return True

    async def cancel_waiting(self) -> None:
        """The resident pressed 取消 while waiting: leave the queue and go home."""
        if self.state != KioskState.WAITING:
            return
        self._set_state(KioskState.IDLE)
        try:
            await self.hub.request(QueueLeave())
        except HubError as exc:
            log.warning("queue.leave failed: %s", exc)

    async def hang_up(self) -> None:
        """The resident pressed 挂断: end the session; the hub confirms with session.ended."""
        if self.state != KioskState.IN_CALL or self.session_id is None:
            return
        session_id = self.session_id
        self.stats["hung_up_at"] = time.time()
        try:
            await self.hub.request(SessionEnd(session_id=session_id))
        except HubError as exc:
            log.warning("session.end failed: %s", exc)
        # Do not wait for the hub's echo to stop the media.
        if self.state == KioskState.IN_CALL and self.session_id == session_id:
            await self._end_call("hangup", "kiosk")

    def go_home(self) -> None:
        """Leave the ended page now (button, or the timer)."""
        if self.state != KioskState.ENDED:
            return
        if self._home_task is not None and not self._home_task.done():
            self._home_task.cancel()
        self.connection_lost = False
        self._set_state(KioskState.IDLE if self.hub_connected else KioskState.OFFLINE)

    # --- hub -----------------------------------------------------------------

    async def handle_connection(self, up: bool) -> None:
        """HubClient's connection callback."""
        self.hub_connected = up
        if not up and getattr(self.hub, "ended", None):
            # The hub revoked this kiosk (or ended its log-in): the technician must know.
            self.error = "error.credential_refused"
        if up:
            if self.error == "error.credential_refused":
                self.error = None
            welcome = self.hub.welcome
            if welcome is not None:
                self.point_name = welcome.display_name
            if self.capture is not None:
                self.capture.uploader.wake()  # deliver what waited for the hub
            if self.health is not None and self.health.send_error is not None:
                # The officer must not see an old device state: report the latest run now.
                self._tasks.start(self.health.send(), "health-report")
            if self.state == KioskState.OFFLINE:
                self._set_state(KioskState.IDLE)
            elif self.state == KioskState.ENDED and self.connection_lost:
                self._schedule_home()
            self._notify("hub")
            return
        if self.state == KioskState.IN_CALL:
            # The hub ends a session whose kiosk went away; say so and go home once back.
            self.connection_lost = True
            await self._end_call("peer_gone", None)
        elif self.state in (KioskState.IDLE, KioskState.WAITING):
            self._set_state(KioskState.OFFLINE)
        self._notify("hub")

    async def handle_message(self, message: Any) -> None:
        """HubClient's message callback: every hub message that is not a reply.

        It runs on the hub client's reader, so it must never await a hub request
        (the ack could not be read until it returns): such work goes into tasks.
        """
        if isinstance(message, QueueStatus):
            if self.state == KioskState.WAITING:
                self.queue_position = message.position
                self.waiting_since = _epoch(message.waiting_since)
                self._notify("queue")
        elif isinstance(message, SessionStarted):
            await self._on_session_started(message)
        elif isinstance(message, SessionTransferred):
            if message.session_id == self.session_id and self.state == KioskState.IN_CALL:
                self._tasks.start(self._on_transferred(message), "transferred")
        elif isinstance(message, RtcAnswer):
            if self.peer is not None and message.session_id == self.session_id:
                try:
                    await self.peer.handle_answer(message.sdp)
                except Exception:
                    log.exception("applying the answer failed")
        elif isinstance(message, SessionEnded):
            if message.session_id == self.session_id and self.state == KioskState.IN_CALL:
                await self._end_call(message.reason, message.by.value if message.by else None)
            elif message.session_id == self.stats.get("session_id"):
                # The echo of our own hang-up: record who the hub says ended it.
                self.session_ended.set()
        elif isinstance(message, CallStateReport):
            if message.session_id == self.session_id:
                self.remote_call_state = message.state
                self._notify("call")
        elif isinstance(message, RtcOffer):
            log.warning("ignored an offer: the kiosk is the offering side")
        elif isinstance(message, ChecklistStatus):
            self.checklist = message
            self._notify("checklist")
        elif isinstance(message, DeviceCommand):
            in_call = self.state == KioskState.IN_CALL
            if message.kind == "print":
                self.printing.handle_command(self.session_id if in_call else None, message)
            elif message.kind == "form.sign":
                self.signing.handle_command(self.session_id if in_call else None, message)
            elif message.kind == "page.capture":
                if self.capture is not None:
                    self.capture.handle_command(self.session_id if in_call else None, message)
                else:
                    log.warning("page.capture ignored: this kiosk has no document camera")
            else:
                self.idcard.handle_command(self.session_id if in_call else None, message)

    def read_id_card(self) -> None:
        """The helper pressed 读取身份证 on the call page (no command from the officer)."""
        if self.state == KioskState.IN_CALL and self.session_id is not None:
            self.idcard.start_read(self.session_id, None)

    async def _on_session_started(self, message: SessionStarted) -> None:
        if self.state not in (KioskState.WAITING, KioskState.IDLE):
            log.warning("session.started in state %s; ending it", self.state)
            self._tasks.start(self._refuse_session(message.session_id), "refuse-session")
            return
        if not message.offerer:
            log.warning("hub asked the kiosk to answer; the kiosk always offers")
        self.session_id = message.session_id
        self.officer_name = message.peer_name
        self.call_state = CallState.CONNECTING
        self.remote_call_state = None
        self.connection_lost = False
        self.stats["session_id"] = message.session_id
        self.stats["session_started_at"] = time.time()
        self._set_state(KioskState.IN_CALL)
        # Not awaited here: this runs on the hub client's reader, and the offer's
        # request waits for an ack that only this same reader can deliver.
        self._tasks.start(
            self._start_peer(message.session_id, list(message.ice_servers)), "start-peer"
        )

    async def _on_transferred(self, message: SessionTransferred) -> None:
        """The call moves to another officer: a new peer connection under the same session."""
        self._collect_peer_stats()
        await self._close_peer()
        self.officer_name = message.peer_name  # None while the call waits in a line's queue
        self.transfer_waiting = message.waiting
        self.call_state = CallState.CONNECTING
        self.remote_call_state = None
        self._notify("call")
        if not message.waiting:
            await self._start_peer(message.session_id, self._call_ice_servers)

    async def _refuse_session(self, session_id: str) -> None:
        with contextlib.suppress(HubError):
            await self.hub.request(SessionEnd(session_id=session_id, reason="error"))

    async def _start_peer(self, session_id: str, ice_servers: list[IceServer]) -> None:
        if self.state != KioskState.IN_CALL or self.session_id != session_id:
            return  # ended before the call could start
        self._call_ice_servers = ice_servers  # a transferred call starts a new peer with them
        self.transfer_waiting = False
        try:
            peer = self._peer_factory(
                offerer=True,
                ice_servers=ice_servers,
                video=self.video,
                # The document camera's preview: the offer's second video track.
                doccam=self.capture.call_feed() if self.capture is not None else None,
                signaling=HubSignaling(self.hub, session_id),
                on_state=self._on_call_state,
            )
            self.peer = peer
            await peer.start()
        except Exception:
            log.exception("starting the call failed")
            if self.state == KioskState.IN_CALL and self.session_id == session_id:
                with contextlib.suppress(HubError):
                    await self.hub.request(SessionEnd(session_id=session_id, reason="error"))
                await self._end_call("error", "kiosk")

    def _on_call_state(self, state: CallState) -> None:
        """CallPeer's state callback: show it and tell the officer through the hub."""
        if self.state != KioskState.IN_CALL or self.session_id is None:
            return
        self.call_state = state
        if state == CallState.CONNECTED and self.stats["first_connected_at"] is None:
            self.stats["first_connected_at"] = time.time()
        self._tasks.start(self._report_call_state(self.session_id, state), "call-state")
        self._notify("call")

    async def _report_call_state(self, session_id: str, state: CallState) -> None:
        try:
            await self.hub.send(CallStateReport(session_id=session_id, state=state))
        except HubError as exc:
            log.info("could not report call state: %s", exc)

    async def _end_call(self, reason: str, by: str | None) -> None:
        # Our own hang-up and the hub's session.ended cross: the second must not end the
        # call again while the first is closing the peer (state is still IN_CALL then),
        # or the rating page would be opened a second time, after the resident rated.
        if self._ending:
            return
        self._ending = True
        try:
            await self._ending_call(reason, by)
        finally:
            self._ending = False

    async def _ending_call(self, reason: str, by: str | None) -> None:
        self._collect_peer_stats()
        self.stats["ended_reason"] = reason
        self.stats["ended_by"] = by
        self.ended_reason, self.ended_by = reason, by
        self.ended_at = time.monotonic()
        self.call_state = None
        self.idcard.session_over()
        self.printing.session_over()
        self.signing.session_over()
        if self.capture is not None:
            self.capture.session_over()
        await self._close_peer()
        if self.rating is not None and self.session_id is not None:
            self.rating.open(self.session_id)  # 好差评: home waits until it is closed
        self._set_state(KioskState.ENDED)
        self.session_ended.set()
        if not self.connection_lost or self.hub_connected:
            self._schedule_home()

    def _collect_peer_stats(self) -> None:
        peer = self.peer
        if peer is None:
            return
        sink = peer.remote_video
        self.stats["frames_received"] = sink.frames_received
        if sink.first_frame_at is not None:
            self.stats["first_remote_frame_at"] = sink.first_frame_at
        self.stats["last_remote_frame_at"] = sink.last_frame_wall_at
        self.stats["reconnects"] = peer.reconnects

    def refresh_stats(self) -> dict[str, Any]:
        """The report stats, with the live peer's counters folded in."""
        self._collect_peer_stats()
        self.stats["identity_reports"] = self.idcard.reports
        if self.capture is not None:
            self.stats["pages_captured"] = self.capture.captured
            self.stats["pages_delivered"] = self.capture.uploader.sent
            self.stats["doccam_frames_sent"] = self.capture.call_feed().frames_sent
        return dict(self.stats)

    async def _close_peer(self) -> None:
        peer, self.peer = self.peer, None
        if peer is not None:
            try:
                await peer.close()
            except Exception:
                log.exception("closing the peer failed")

    def _schedule_home(self) -> None:
        if self._home_task is not None and not self._home_task.done():
            self._home_task.cancel()
        self._home_task = self._tasks.start(self._home_later(), "home")

    async def _home_later(self) -> None:
        await asyncio.sleep(self.ended_home_seconds)
        if self.rating is not None:
            await self.rating.wait_closed()
        self.go_home()

    def seconds_until_home(self) -> int:
        """Whole seconds left on the ended page (for its countdown)."""
        if self.ended_at is None:
            return 0
        left = self.ended_home_seconds - (time.monotonic() - self.ended_at)
        return max(0, int(left + 0.999))


def _epoch(value: datetime) -> float:
    """A hub timestamp as time.time() seconds (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()
