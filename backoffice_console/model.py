"""Plain data the console shows: queue entries, history rows, the live call, formatting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from shared.protocol import CallState, TicketInfo
from shared.protocol.sessions import SessionRow


class Phase(StrEnum):
    """Where the console is: logged out, looking at the queue, taking a ticket, or in a call."""

    LOGGED_OUT = "logged_out"
    QUEUE = "queue"
    TAKING = "taking"
    IN_CALL = "in_call"


class KeyedError(Exception):
    """A failure shown as a translated text: `key` in the raiser's i18n domain, `detail` logged."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(f"{key}: {detail}" if detail else key)
        self.key = key
        self.detail = detail


class ConsoleError(KeyedError):
    """A problem to show the officer; `key` is a "console" translation key."""


@dataclass(frozen=True)
class QueueEntry:
    """One waiting ticket as the queue table shows it."""

    ticket_id: int
    point_name: str
    kiosk_name: str
    matter: str | None
    waiting_since: datetime
    matter_name: str | None = None
    line: str | None = None
    priority: str = "normal"
    """normal | elderly (70+) | assistance | transfer: the badge in the queue."""
    overdue: bool = False
    """Flagged by the hub: waiting longer than its threshold."""

    @classmethod
    def from_ticket(cls, ticket: TicketInfo) -> QueueEntry:
        """Build from the protocol model (naive times are taken as UTC)."""
        since = ticket.waiting_since
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return cls(
            ticket.ticket_id,
            ticket.point_name,
            ticket.kiosk_name,
            ticket.matter,
            since,
            matter_name=ticket.matter_name,
            line=ticket.line,
            priority=ticket.priority,
            overdue=ticket.overdue,
        )

    def waiting_seconds(self, now: datetime) -> int:
        """Whole seconds waited until `now` (hub clock), never negative."""
        return max(0, int((now - self.waiting_since).total_seconds()))


def format_duration(seconds: float) -> str:
    """`mm:ss` (minutes keep counting past 59) for waiting times and call durations."""
    whole = max(0, int(seconds))
    return f"{whole // 60:02d}:{whole % 60:02d}"


@dataclass(frozen=True)
class HistoryRow:
    """One session of the day, from `GET /api/v1/sessions`."""

    session_id: str
    point_name: str
    kiosk_name: str
    matter: str | None
    started_at: datetime | None
    connected_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    ended_by: str | None
    reconnects: int

    @classmethod
    def of(cls, row: SessionRow) -> HistoryRow:
        """One row of the sessions list (`GET /api/v1/sessions`)."""
        return cls(
            session_id=row.session_id,
            point_name=row.point_name,
            kiosk_name=row.kiosk_name,
            matter=row.matter_name or row.matter or None,
            started_at=row.started_at,
            connected_at=row.connected_at,
            ended_at=row.ended_at,
            end_reason=row.end_reason or None,
            ended_by=row.ended_by or None,
            reconnects=row.reconnects,
        )

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to end, when both are known."""
        if self.started_at is None or self.ended_at is None:
            return None
        return max(0.0, (self.ended_at - self.started_at).total_seconds())


@dataclass
class CallInfo:
    """The call in progress, as the call view shows it."""

    session_id: str
    ticket_id: int
    peer_name: str
    started_monotonic: float
    state: CallState = CallState.CONNECTING
    own_state: CallState = CallState.CONNECTING
    remote_state: CallState | None = None


@dataclass
class ConsoleStats:
    """Times (time.time()) and counts for the autopilot's report."""

    logged_in_at: float | None = None
    took_at: float | None = None
    session_id: str | None = None
    session_started_at: float | None = None
    first_connected_at: float | None = None
    reconnects: int = 0
    ended_reason: str | None = None
    ended_by: str | None = None
    calls_completed: int = 0
    frames_received: int = 0
    last_remote_frame_at: float | None = None
    identity_shown: bool = False
    masked_id: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def report(self, **ui_figures: object) -> dict[str, object]:
        """The report JSON: these stats plus what only the UI knows (frames painted, ...)."""
        return {
            "app": "console",
            "session_id": self.session_id,
            "logged_in_at": self.logged_in_at,
            "took_at": self.took_at,
            "session_started_at": self.session_started_at,
            "first_connected_at": self.first_connected_at,
            "first_remote_frame_at": None,
            "last_remote_frame_at": self.last_remote_frame_at,
            "frames_received": self.frames_received,
            "frames_painted": None,
            "reconnects": self.reconnects,
            "ended_reason": self.ended_reason,
            "ended_by": self.ended_by,
            "history_rows": None,
            "calls_completed": self.calls_completed,
            "identity_shown": self.identity_shown,
            "masked_id": self.masked_id,
            "error": None,
            **ui_figures,
        }
