"""The officer console's logic, without Qt: login, live queue, taking tickets, the call, history.

`ConsoleController` is driven by the UI (login, take, hang up, load history) and by
hub messages. It tells the UI what happened through a `ConsoleObserver` (a humble
view: plain method calls, no Qt), so tests drive it with asyncio alone and a
scripted hub. User-facing problems are reported as translation keys of the
"console" domain; the UI turns them into text.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from pydantic import ValidationError

from backoffice_console.call_ports import HubFactory, HubLike, PeerFactory, PeerLike
from backoffice_console.cases import CaseDesk, CaseView
from backoffice_console.documents import DocumentsDesk, DocumentsView
from backoffice_console.identity import IDENTITY_MESSAGES, IdentityDesk, IdentityView
from backoffice_console.materials import MaterialsDesk, MaterialsView
from backoffice_console.model import (
    CallInfo,
    ConsoleError,
    ConsoleStats,
    HistoryRow,
    Phase,
    QueueEntry,
    format_duration,
)
from shared.hubclient import (
    HubAuthError,
    HubError,
    HubRequestError,
    HubUnavailable,
)
from shared.protocol import (
    CallState,
    CallStateReport,
    ErrorCode,
    QueueSnapshot,
    RtcAnswer,
    RtcOffer,
    SessionEnd,
    SessionEnded,
    SessionStarted,
    TicketTake,
    Welcome,
)
from shared.protocol.http import invalid_text
from shared.protocol.sessions import SessionList
from shared.tasks import TaskKeeper

log = logging.getLogger(__name__)

__all__ = [
    "CallInfo",
    "ConsoleController",
    "ConsoleError",
    "ConsoleObserver",
    "ConsoleStats",
    "HistoryRow",
    "Phase",
    "QueueEntry",
    "format_duration",
]


class ConsoleObserver:
    """What the controller tells the UI. Every method is a no-op here; views override them."""

    def connection_changed(self, connected: bool) -> None:
        """The websocket to the hub went up (True) or down (False)."""

    def queue_changed(self, entries: list[QueueEntry]) -> None:
        """The waiting tickets, oldest first."""

    def call_started(self, call: CallInfo) -> None:
        """A session began: show the call view."""

    def call_state_changed(self, call: CallInfo) -> None:
        """`call.state` changed (connecting, connected, reconnecting)."""

    def call_ended(self, session_id: str, reason: str, by: str | None) -> None:
        """The session is over: back to the queue."""

    def notice(self, key: str) -> None:
        """A problem or event to show the officer (a "console" translation key)."""

    def identity_changed(self, view: IdentityView) -> None:
        """The identity panel of the call changed (read progress, identity, reveal)."""

    def materials_changed(self, view: MaterialsView) -> None:
        """The materials panel of the call changed (a page arrived, capture progress)."""

    def documents_changed(self, view: DocumentsView) -> None:
        """The documents panel of the call changed (print or signature progress)."""

    def case_changed(self, view: CaseView) -> None:
        """The case panel changed (case read, pushed, or changed by the officer)."""


@dataclass
class _SessionSignaling:
    """Sends this session's answers through the hub (the console never makes offers)."""

    controller: ConsoleController
    session_id: str

    async def send_offer(self, sdp: str) -> None:
        log.warning("the console does not make offers; dropped one for %s", self.session_id)

    async def send_answer(self, sdp: str) -> None:
        # send(), not request(): this runs inside the hub reader's message handler, and
        # waiting there for an ack that the same reader must deliver would deadlock.
        await self.controller.hub_send(RtcAnswer(session_id=self.session_id, sdp=sdp))


class ConsoleController:
    """The console's state machine (see module docstring)."""

    def __init__(
        self,
        hub_factory: HubFactory,
        peer_factory: PeerFactory,
        observer: ConsoleObserver | None = None,
    ) -> None:
        self._hub_factory = hub_factory
        self._peer_factory = peer_factory
        self.observer = observer or ConsoleObserver()
        self.hub: HubLike | None = None
        self.phase = Phase.LOGGED_OUT
        self.user: dict[str, Any] = {}
        self.queue: list[QueueEntry] = []
        self.call: CallInfo | None = None
        self.peer: PeerLike | None = None
        self.connected = False
        self.stats = ConsoleStats()
        self._clock_offset = timedelta(0)
        self._tasks = TaskKeeper("console")
        self._closed = False
        self.identity = IdentityDesk(
            lambda: self.hub,
            lambda: self.call.session_id if self.call is not None else None,
            self._identity_changed,
        )
        self.materials = MaterialsDesk(
            lambda: self.hub,  # type: ignore[arg-type,return-value]
            lambda: self.call.session_id if self.call is not None else None,
            lambda view: self.observer.materials_changed(view),  # noqa: PLW0108 - observer may change
        )
        self.documents = DocumentsDesk(
            lambda: self.hub,  # type: ignore[arg-type,return-value]
            lambda: self.call.session_id if self.call is not None else None,
            lambda view: self.observer.documents_changed(view),  # noqa: PLW0108 - observer may change
        )
        self.cases = CaseDesk(
            lambda: self.hub,
            lambda view: self.observer.case_changed(view),  # noqa: PLW0108 - observer may change
        )

    def _identity_changed(self, view: IdentityView) -> None:
        if view.identity is not None:
            self.stats.identity_shown = True
            self.stats.masked_id = view.identity.masked_id
        self.observer.identity_changed(view)

    # --- clock ---------------------------------------------------------------

    def hub_now(self) -> datetime:
        """Now on the hub's clock (waiting times are measured against the hub's timestamps)."""
        return datetime.now(UTC) + self._clock_offset

    def _sync_clock(self, welcome: Welcome) -> None:
        server = welcome.server_time
        if server.tzinfo is None:
            server = server.replace(tzinfo=UTC)
        self._clock_offset = server - datetime.now(UTC)

    # --- login ---------------------------------------------------------------

    async def login(self, username: str, password: str, totp_code: str | None = None) -> None:
        """Log in and open the websocket; raises ConsoleError with a key the UI can show.

        `totp_code`: the authenticator app's code, for an account with a second factor
        (without it such an account is answered `login.error.totp_required`).
        """
        if not username.strip() or not password:
            raise ConsoleError("login.error.empty")
        if self.phase is not Phase.LOGGED_OUT:
            raise ConsoleError("error.bad_state")
        hub = self._hub_factory(self._on_message, self._on_connection)
        try:
            self.user = await hub.login_officer(username.strip(), password, totp_code=totp_code)
            if self.user.get("role") not in (None, "officer", "supervisor", "admin", "technician"):
                raise ConsoleError("login.error.role")
            self.hub = hub
            welcome = await hub.connect()
        except ConsoleError:
            await hub.close()
            self.hub = None
            raise
        except HubAuthError:
            await hub.close()
            self.hub = None
            raise ConsoleError("login.error.credentials") from None
        except HubRequestError as exc:
            await hub.close()
            self.hub = None
            key = {
                "rate_limited": "login.error.rate_limited",
                "totp_required": "login.error.totp_required",
            }.get(exc.code, "login.error.refused")
            raise ConsoleError(key, exc.message) from None
        except (HubError, OSError) as exc:
            await hub.close()
            self.hub = None
            raise ConsoleError("login.error.unreachable", str(exc)) from None
        self._sync_clock(welcome)
        self.phase = Phase.QUEUE
        self.stats.logged_in_at = time.time()
        log.info("logged in as officer id %s", self.user.get("id"))

    @property
    def display_name(self) -> str:
        """The officer's name as the hub knows it."""
        return str(self.user.get("display_name") or self.user.get("username") or "")

    # --- hub events ----------------------------------------------------------

    async def _on_connection(self, up: bool) -> None:
        self.connected = up
        if up and self.hub is not None and self.hub.welcome is not None:
            self._sync_clock(self.hub.welcome)
        if not up and self.call is not None:
            # The hub ends the session of an officer whose websocket closed; we will
            # not hear about it, so end it here.
            await self._finish_call(self.call.session_id, "hub_lost", None)
            self.observer.notice("notice.hub_lost_call")
        if not up:
            self.queue = []
            self.observer.queue_changed([])
        self.observer.connection_changed(up)
        if not up and self.hub is not None and self.hub.ended:
            # The hub ended the log-in (logout elsewhere, disabled, reset): it will not
            # come back by itself, so the officer must be told to log in again.
            self.observer.notice("notice.session_ended")

    async def _on_message(self, message: Any) -> None:
        await self.handle_message(message)

    async def handle_message(self, message: Any) -> None:
        """React to one hub message (public so tests can script the hub)."""
        if isinstance(message, QueueSnapshot):
            # The hub's served order (transfers, 70+/assistance by ratio, then oldest).
            entries = [QueueEntry.from_ticket(t) for t in message.tickets]
            self.queue = entries
            self.observer.queue_changed(list(entries))
        elif isinstance(message, SessionStarted):
            await self._start_call(message)
        elif isinstance(message, RtcOffer):
            await self._on_offer(message)
        elif isinstance(message, CallStateReport):
            self._on_remote_state(message)
        elif self.materials.handle(message):
            pass  # a page arrived, or news of a page.capture command
        elif self.documents.handle(message):
            pass  # news of a print or form.sign command
        elif self.cases.handle(message):
            pass  # the case of the call changed
        elif isinstance(message, IDENTITY_MESSAGES):
            self.identity.handle(message)
        elif isinstance(message, SessionEnded):
            if self.call is not None and message.session_id == self.call.session_id:
                by = message.by.value if message.by is not None else None
                await self._finish_call(message.session_id, message.reason, by)
            else:
                log.info("ignored the end of session %s (not ours)", message.session_id)
        else:
            log.debug("ignored hub message %s", getattr(message, "type", message))

    async def _start_call(self, message: SessionStarted) -> None:
        if self.call is not None:
            if self.call.session_id == message.session_id:
                return
            log.warning("a new session started while %s was live; closing it", self.call.session_id)
            await self._finish_call(self.call.session_id, "replaced", None)
        if message.offerer:
            log.warning("hub asked the console to offer; the console only answers")
        self.call = CallInfo(
            session_id=message.session_id,
            ticket_id=message.ticket_id,
            peer_name=message.peer_name,
            started_monotonic=time.monotonic(),
        )
        self.phase = Phase.IN_CALL
        self.stats.session_id = message.session_id
        self.stats.session_started_at = time.time()
        self.stats.first_connected_at = None
        self.stats.ended_reason = self.stats.ended_by = None
        session_id = message.session_id
        signaling = _SessionSignaling(self, session_id)
        self.peer = self._peer_factory(
            list(message.ice_servers),
            signaling,
            lambda state: self._on_own_state(session_id, state),
        )
        log.info("session %s started", session_id)
        self.observer.call_started(self.call)
        self.identity.reset()
        self.materials.reset()
        self.documents.reset()
        self._tasks.start(self.cases.start(session_id), "case")
        try:
            await self.peer.start()
        except Exception:
            log.exception("could not prepare the call of session %s", session_id)
            self.observer.notice("notice.call_failed")
            await self.hang_up(reason="error")

    async def _on_offer(self, message: RtcOffer) -> None:
        if self.call is None or self.peer is None or message.session_id != self.call.session_id:
            log.warning("offer for session %s which is not ours; ignored", message.session_id)
            return
        # Each offer (the first, or the kiosk's reconnect) rebuilds the peer connection.
        log.info("offer received for session %s", message.session_id)
        began = time.monotonic()
        try:
            await self.peer.handle_offer(message.sdp)
        except Exception:
            log.exception("could not answer the offer of session %s", message.session_id)
        log.info("offer handled in %.0f ms", (time.monotonic() - began) * 1000)

    def _on_own_state(self, session_id: str, state: CallState) -> None:
        call = self.call
        if call is None or call.session_id != session_id:
            return
        if state is CallState.CONNECTED and self.stats.first_connected_at is None:
            self.stats.first_connected_at = time.time()
        call.own_state = state
        if self.peer is not None:
            self.stats.reconnects = int(getattr(self.peer, "reconnects", 0))
        self._tasks.start(
            self._report_state(CallStateReport(session_id=session_id, state=state)), "call.state"
        )
        self._update_call_state(call)

    def _on_remote_state(self, message: CallStateReport) -> None:
        call = self.call
        if call is None or message.session_id != call.session_id:
            return
        call.remote_state = message.state
        self._update_call_state(call)

    def _update_call_state(self, call: CallInfo) -> None:
        # Either side losing media means the officer should see "reconnecting".
        if CallState.RECONNECTING in (call.own_state, call.remote_state):
            state = CallState.RECONNECTING
        elif call.own_state is CallState.CONNECTED:
            state = CallState.CONNECTED
        else:
            state = CallState.CONNECTING
        if state != call.state:
            call.state = state
            self.observer.call_state_changed(call)

    async def _report_state(self, report: CallStateReport) -> None:
        try:
            await self.hub_send(report)
        except HubError as exc:
            log.info("could not report call state: %s", exc)

    async def hub_send(self, message: Any) -> None:
        """Send a message to the hub without waiting for its ack."""
        if self.hub is None:
            raise HubUnavailable("not logged in")
        await self.hub.send(message)

    # --- officer actions -----------------------------------------------------

    async def take(self, ticket_id: int) -> None:
        """Take a waiting ticket; raises ConsoleError (e.g. "error.ticket_taken")."""
        if self.hub is None or self.phase is Phase.LOGGED_OUT:
            raise ConsoleError("error.not_logged_in")
        if self.phase is not Phase.QUEUE:
            raise ConsoleError("error.busy")
        self.phase = Phase.TAKING
        clicked_at = time.time()
        try:
            await self.hub.request(TicketTake(ticket_id=ticket_id))
        except HubRequestError as exc:
            if self.phase is Phase.TAKING:
                self.phase = Phase.QUEUE
            if exc.code == ErrorCode.CONFLICT:
                raise ConsoleError("error.ticket_taken") from None
            if exc.code in (ErrorCode.NOT_FOUND, ErrorCode.BAD_STATE):
                raise ConsoleError("error.ticket_gone", exc.message) from None
            raise ConsoleError("error.request_failed", exc.message) from None
        except HubError as exc:
            if self.phase is Phase.TAKING:
                self.phase = Phase.QUEUE
            raise ConsoleError("error.hub_unreachable", str(exc)) from None
        # SessionStarted usually arrives before the ack; the phase is then IN_CALL already.
        self.stats.took_at = clicked_at
        log.info("took ticket %s", ticket_id)

    async def hang_up(self, reason: Literal["hangup", "error"] = "hangup") -> None:
        """End the current call (SessionEnd) and return to the queue; never raises."""
        call = self.call
        if call is None:
            return
        if self.hub is not None:
            try:
                await self.hub.send(SessionEnd(session_id=call.session_id, reason=reason))
            except HubError as exc:
                log.info("could not tell the hub about the hang-up: %s", exc)
        await self._finish_call(call.session_id, reason, "officer")

    async def _finish_call(self, session_id: str, reason: str, by: str | None) -> None:
        call = self.call
        if call is None or call.session_id != session_id:
            return
        self.call = None
        peer, self.peer = self.peer, None
        if peer is not None:
            self._collect_peer_stats(peer)
            try:
                await peer.close()
            except Exception:
                log.exception("closing the peer failed")
        self.stats.ended_reason = reason
        self.stats.ended_by = by
        self.stats.calls_completed += 1
        self.phase = Phase.QUEUE if self.hub is not None else Phase.LOGGED_OUT
        self.identity.reset()  # the revealed number is for this call only
        self.materials.reset()
        self.documents.reset()
        log.info("session %s ended (%s, by %s)", session_id, reason, by)
        self.observer.call_ended(session_id, reason, by)

    def _collect_peer_stats(self, peer: PeerLike) -> None:
        self.stats.reconnects = int(getattr(peer, "reconnects", 0))
        sink = getattr(peer, "remote_video", None)
        if sink is not None:
            self.stats.frames_received = int(getattr(sink, "frames_received", 0))
            self.stats.last_remote_frame_at = getattr(sink, "last_frame_wall_at", None)
        doccam = getattr(peer, "remote_doccam", None)
        if doccam is not None:
            self.stats.extra["doccam_frames_received"] = int(getattr(doccam, "frames_received", 0))

    def frames_received(self) -> int:
        """Remote frames decoded in the current (or last) call."""
        if self.peer is not None:
            self._collect_peer_stats(self.peer)
        return self.stats.frames_received

    def remote_frame_getter(self) -> Callable[[], Any]:
        """A getter for the newest remote frame of whatever call is live (None between calls)."""

        def latest() -> Any:
            sink = getattr(self.peer, "remote_video", None)
            return sink.latest() if sink is not None else None

        return latest

    def doccam_frame_getter(self) -> Callable[[], Any]:
        """A getter for the newest frame of the kiosk's document camera (None without one)."""

        def latest() -> Any:
            sink = getattr(self.peer, "remote_doccam", None)
            return sink.latest() if sink is not None else None

        return latest

    async def load_history(self, day: date | None = None) -> list[HistoryRow]:
        """The officer's sessions of `day` (default today), newest first."""
        if self.hub is None:
            raise ConsoleError("error.not_logged_in")
        day = day or date.today()
        try:
            body = await self.hub.get_json("/api/v1/sessions", day=day.isoformat())
            sessions = SessionList.model_validate(body).root
        except HubError as exc:
            raise ConsoleError("error.history_failed", str(exc)) from None
        except ValidationError as exc:
            raise ConsoleError("error.history_failed", invalid_text(exc)) from None
        rows = [HistoryRow.of(row) for row in sessions]
        far_past = datetime.min.replace(tzinfo=UTC)
        rows.sort(key=lambda r: r.started_at or far_past, reverse=True)
        return rows

    async def close(self) -> None:
        """Hang up if in a call, close the peer and the hub client; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            await asyncio.wait_for(self.hang_up(), 5)
        except TimeoutError:
            log.warning("hang-up timed out during shutdown")
        await self._tasks.cancel_all()
        await self.documents.close()
        if self.hub is not None:
            hub, self.hub = self.hub, None
            try:
                await hub.close()
            except Exception:
                log.exception("closing the hub client failed")
        self.phase = Phase.LOGGED_OUT
