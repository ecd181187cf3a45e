"""Calls: the queue's tickets, call sessions, signaling relay, transfers and device commands.

Other domains use what is named here and nothing else of this package.
"""

from backoffice_console.hub.calls.devices import to_console
from backoffice_console.hub.calls.events import (
    CallMoved,
    CallStateReported,
    CallTaken,
    DeviceRelayed,
    QueueJoining,
    SessionOpening,
)
from backoffice_console.hub.calls.models import CallSession, Ticket
from backoffice_console.hub.calls.policy import QueuePolicy, Waiting
from backoffice_console.hub.calls.queue_feed import QueueFeed
from backoffice_console.hub.calls.routes import local_day_bounds, report_scope, setup
from backoffice_console.hub.calls.service import CALLS_KEY, Signaling
from backoffice_console.hub.calls.store import TAKEN, WAITING, CallStore, SessionParties
from backoffice_console.hub.core.domains import Domain

DOMAIN = Domain("calls", setup, needs=("accounts", "catalogue"))

__all__ = [
    "CALLS_KEY",
    "DOMAIN",
    "TAKEN",
    "WAITING",
    "CallMoved",
    "CallSession",
    "CallStateReported",
    "CallStore",
    "CallTaken",
    "DeviceRelayed",
    "QueueFeed",
    "QueueJoining",
    "QueuePolicy",
    "SessionOpening",
    "SessionParties",
    "Signaling",
    "Ticket",
    "Waiting",
    "local_day_bounds",
    "report_scope",
    "to_console",
]
