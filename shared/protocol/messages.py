"""Message models of protocol version 1.

Client messages (kiosk or console to hub) may carry an `id`; the hub answers
each with an `Ack` or an `ErrorReply` whose `re` is that id. Hub messages that
are not replies (queue updates, session events, relayed signaling) carry no `re`.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from shared.protocol.base import PROTOCOL_VERSION, DbId, RequestId, SessionId, ShortText
from shared.protocol.base import Message as _Message
from shared.protocol.base import Model as _Model
from shared.protocol.base import Request as _Request
from shared.protocol.cases import CaseUpdated, ChecklistStatus
from shared.protocol.devices import (
    DeviceCommand,
    DeviceFailed,
    DeviceProgress,
    IdentityReport,
    IdentityUpdate,
)
from shared.protocol.materials import MaterialAdded
from shared.protocol.routing import SessionTransfer, SessionTransferred, TicketNext

__all__ = ["PROTOCOL_VERSION", "RequestId", "SessionId", "ShortText"]

MAX_SDP_CHARS = 32_000
"""An aiortc offer with audio, video and a data channel is about 3 KB."""

Sdp = Annotated[str, Field(min_length=1, max_length=MAX_SDP_CHARS)]


class Role(StrEnum):
    """Who a connected client is; decides which messages it may send."""

    KIOSK = "kiosk"
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    """An officer who also closes rectifications and sees reports."""
    TECHNICIAN = "technician"
    ADMIN = "admin"
    """Manages accounts and configuration; never reads residents' identities."""
    AUDITOR = "auditor"
    """Reads the audit log; changes nothing."""


class ErrorCode(StrEnum):
    """Machine-readable reasons in `ErrorReply.code`."""

    BAD_JSON = "bad_json"
    BAD_MESSAGE = "bad_message"
    UNKNOWN_TYPE = "unknown_type"
    UNSUPPORTED_VERSION = "unsupported_version"
    TOO_LARGE = "too_large"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    NOT_IN_SESSION = "not_in_session"
    BAD_STATE = "bad_state"
    RATE_LIMITED = "rate_limited"
    INVALID_IDENTITY = "invalid_identity"
    INVALID_IMAGE = "invalid_image"
    WEAK_PASSWORD = "weak_password"
    TOTP_REQUIRED = "totp_required"
    """The password was right; the account has a second factor: log in with its code."""
    PASSWORD_CHANGE_REQUIRED = "password_change_required"
    """The password was right but an administrator reset it: log in with `new_password`."""
    INTERNAL = "internal"


class CallState(StrEnum):
    """Media state of a call as one side sees it."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"


# --- shared parts -----------------------------------------------------------


class IceServer(_Model):
    """One STUN or TURN server, as RTCIceServer takes it."""

    urls: Annotated[list[Annotated[str, Field(max_length=300)]], Field(min_length=1, max_length=4)]
    username: ShortText | None = None
    credential: ShortText | None = None


TicketPriority = Literal["normal", "elderly", "assistance", "transfer"]
"""Why a ticket goes ahead: a resident aged 70+, one marked as needing assistance,
or a live call transferred to a line (it keeps its case)."""


class TicketInfo(_Model):
    """A waiting ticket as consoles see it in the queue."""

    ticket_id: int
    point_name: ShortText
    kiosk_name: ShortText
    matter: ShortText | None = None
    waiting_since: datetime
    matter_name: ShortText | None = None
    line: Annotated[str, Field(max_length=64)] | None = None
    priority: TicketPriority = "normal"
    overdue: bool = False
    """Waiting longer than the hub's threshold."""


# --- client to hub ----------------------------------------------------------


class QueueJoin(_Request):
    """Kiosk: put this kiosk's resident in the queue."""

    type: Literal["queue.join"] = "queue.join"
    matter: Annotated[str, Field(max_length=64)] | None = None
    birth_date: date | None = None
    """From an ID card read before queuing: the hub derives the 70+ priority and keeps
    only that flag, never the date."""
    assistance: bool = False
    """Marked by the helper or the resident as needing assistance (priority)."""


class QueueLeave(_Request):
    """Kiosk: take this kiosk's waiting ticket out of the queue."""

    type: Literal["queue.leave"] = "queue.leave"


class TicketTake(_Request):
    """Console: the officer takes a waiting ticket, which opens a session."""

    type: Literal["ticket.take"] = "ticket.take"
    ticket_id: DbId


class RtcOffer(_Request):
    """Kiosk to hub, then hub to console: an SDP offer under a session.

    A new offer under a session that already has a call replaces its peer
    connection (the kiosk's way of reconnecting, since aiortc has no ICE restart).
    """

    type: Literal["rtc.offer"] = "rtc.offer"
    session_id: SessionId
    sdp: Sdp


class RtcAnswer(_Request):
    """Console to hub, then hub to kiosk: the SDP answer to the latest offer."""

    type: Literal["rtc.answer"] = "rtc.answer"
    session_id: SessionId
    sdp: Sdp


class CallStateReport(_Request):
    """Either side: its media state, relayed to the other side."""

    type: Literal["call.state"] = "call.state"
    session_id: SessionId
    state: CallState


class SessionEnd(_Request):
    """Either side: hang up."""

    type: Literal["session.end"] = "session.end"
    session_id: SessionId
    reason: Literal["hangup", "error"] = "hangup"


ClientMessage = Annotated[
    QueueJoin
    | QueueLeave
    | TicketTake
    | TicketNext
    | SessionTransfer
    | RtcOffer
    | RtcAnswer
    | CallStateReport
    | SessionEnd
    | DeviceCommand
    | DeviceProgress
    | DeviceFailed
    | IdentityReport,
    Field(discriminator="type"),
]


# --- hub to client ----------------------------------------------------------


class Welcome(_Message):
    """First message on a new connection: who the hub thinks you are."""

    type: Literal["welcome"] = "welcome"
    role: Role
    subject_id: int
    display_name: ShortText
    server_time: datetime


class Ack(_Message):
    """The request `re` was carried out."""

    type: Literal["ack"] = "ack"
    re: RequestId


class ErrorReply(_Message):
    """The request `re` (or an unparseable message, when `re` is None) was refused."""

    type: Literal["error"] = "error"
    re: RequestId | None = None
    code: ErrorCode
    message: ShortText


class QueueSnapshot(_Message):
    """To consoles: every waiting ticket, oldest first; sent on every change."""

    type: Literal["queue.snapshot"] = "queue.snapshot"
    tickets: list[TicketInfo]


class QueueStatus(_Message):
    """To a kiosk: where its ticket stands (position 1 is next)."""

    type: Literal["queue.status"] = "queue.status"
    ticket_id: int
    position: int = Field(ge=1)
    waiting_since: datetime


class SessionStarted(_Message):
    """To both sides: an officer took the ticket; start the call.

    `offerer` tells this side whether it creates offers (the kiosk does).
    `ice_servers` is the explicit list to use; empty on a closed network.
    """

    type: Literal["session.started"] = "session.started"
    session_id: SessionId
    ticket_id: int
    offerer: bool
    peer_name: ShortText
    ice_servers: list[IceServer]


class SessionEnded(_Message):
    """To both sides: the session is over."""

    type: Literal["session.ended"] = "session.ended"
    session_id: SessionId
    reason: Literal["hangup", "error", "peer_gone", "transferred"]
    by: Role | None = None


ServerMessage = Annotated[
    Welcome
    | Ack
    | ErrorReply
    | QueueSnapshot
    | QueueStatus
    | SessionStarted
    | SessionEnded
    | SessionTransferred
    | RtcOffer
    | RtcAnswer
    | CallStateReport
    | DeviceCommand
    | DeviceProgress
    | DeviceFailed
    | IdentityUpdate
    | MaterialAdded
    | CaseUpdated
    | ChecklistStatus,
    Field(discriminator="type"),
]
