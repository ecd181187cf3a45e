"""Material circulation: originals travelling with a transmittal slip, hop by hop.

A circulation is opened when the hub renders a transmittal slip (the documents
domain's `SlipIssued`, handled in the document's transaction); its code is the slip
number, which the slip's QR code carries (`RVW-SLIP:<code>:<case no>`; a scanner may
send either that text or the bare code). Each hand-over is a scan:

    issued -> at_point -> with_courier -> at_centre -> returned_to_point -> returned_to_resident

Officers, supervisors and admins record any hop; a kiosk only the hops at its own
service point (at_point, returned_to_point, returned_to_resident). A hop that is
not the next one is `OutOfOrder`; nothing changes on a refusal. The resident's
progress look-up shows where the originals are (the cases domain's `ProgressAsked`).

A circulation is overdue when it stayed in one state longer than that state's
working-day limit (`DEFAULT_LIMITS`, overridden by `circulation_hop_workdays`).
Routes are in `routes.py`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.cases import ProgressAsked, record_event
from backoffice_console.hub.circulation.models import (
    FINAL,
    KIOSK_HOPS,
    STATES,
    Circulation,
    CirculationHop,
)
from backoffice_console.hub.circulation.store import CirculationStore, open_for_slip
from backoffice_console.hub.core.audit import audit_entry
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db import Database, iso, utcnow
from backoffice_console.hub.documents import SlipIssued
from backoffice_console.hub.evaluation import WorkCalendar, china_calendar, local_date
from shared.protocol import ErrorCode, Role
from shared.protocol.circulation import ScanBody

log = logging.getLogger(__name__)

DEFAULT_LIMITS = {
    "issued": 1,
    "at_point": 2,
    "with_courier": 2,
    "at_centre": 10,
    "returned_to_point": 5,
}
"""Working days a circulation may stay in each state before it is flagged overdue."""

QR_PREFIX = "RVW-SLIP:"
_STAFF = (Role.OFFICER, Role.SUPERVISOR, Role.ADMIN)


def code_from_scan(text: str) -> str:
    """The circulation code in what a scanner typed: the slip's QR text or the bare code."""
    text = text.strip()
    if text.upper().startswith(QR_PREFIX):
        return text[len(QR_PREFIX) :].split(":", 1)[0].strip()
    return text


class OutOfOrder(Exception):
    """A hop that is not the circulation's next one."""

    def __init__(self, code: str, state: str, expected: str | None) -> None:
        super().__init__(f"{code} is {state}")
        self.code = code
        self.state = state
        self.expected = expected


class CirculationService:
    """Scans and listings of circulations."""

    def __init__(
        self,
        db: Database,
        limits: dict[str, int] | None = None,
        calendar: WorkCalendar | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        unknown = set(limits or {}) - set(DEFAULT_LIMITS)
        if unknown:
            raise ValueError(f"circulation_hop_workdays: unknown states {sorted(unknown)}")
        self.db = db
        self.store = CirculationStore(db)
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.calendar = calendar or china_calendar()
        self.clock = clock

    def overdue(self, row: Circulation, today: dt.date) -> bool:
        """Whether `row` stayed in its state longer than that state's limit."""
        if row.state == FINAL:
            return False
        waited = self.calendar.workdays_between(local_date(row.state_at), today)
        return waited > self.limits[row.state]

    def _json(self, row: Circulation, today: dt.date) -> dict[str, Any]:
        index = STATES.index(row.state)
        return {
            "id": row.id,
            "code": row.code,
            "case_no": row.case_no,
            "session_id": row.session_id,
            "state": row.state,
            "next": STATES[index + 1] if index + 1 < len(STATES) else None,
            "location": row.location,
            "items": row.items,
            "created_at": iso(row.created_at),
            "state_at": iso(row.state_at),
            "overdue": self.overdue(row, today),
            "limit_workdays": self.limits.get(row.state),
        }

    async def originals(self, session_id: str) -> list[dict[str, Any]]:
        """Where a session's originals are, for the resident's progress view (no personal data)."""
        today = local_date(self.clock())
        rows = await self.store.of_session(session_id)
        return [
            {"code": r.code, "state": r.state, "since": iso(r.state_at),
             "items": [i.get("name", "") for i in r.items], "overdue": self.overdue(r, today)}
            for r in rows
        ]  # fmt: skip

    # --- listeners (other domains' events) -----------------------------------

    async def on_progress_asked(self, event: ProgressAsked) -> None:
        """A resident's progress look-up: add `originals` (where the case's originals are)."""
        event.extras["originals"] = await self.originals(event.case.session_id)

    async def on_slip_issued(self, event: SlipIssued) -> None:
        """A transmittal slip was rendered: open its circulation in the document's transaction."""
        await open_for_slip(
            event.s, event.session_id, code=event.code, case_no=event.case_no,
            items=event.items, location=event.location,
        )  # fmt: skip

    async def _kiosk_may(self, s: AsyncSession, kiosk: Principal, row: Circulation) -> None:
        if not await self.store.same_point(s, kiosk.subject_id, row.session_id):
            raise HubError(ErrorCode.FORBIDDEN, "a kiosk scans only its own service point's slips")

    async def scan(self, who: Principal, body: ScanBody) -> dict[str, Any]:
        """Record one hand-over; raises HubError or OutOfOrder (nothing changed)."""
        if who.is_kiosk:
            if body.hop not in KIOSK_HOPS:
                raise HubError(ErrorCode.FORBIDDEN, f"a kiosk cannot record {body.hop}")
        elif who.role not in _STAFF:
            raise HubError(ErrorCode.FORBIDDEN, "officers, supervisors and admins only")
        code = code_from_scan(body.code)
        now = self.clock()
        async with self.db.session() as s, s.begin():
            row = await self.store.locked(s, code)
            if row is None:
                raise HubError(ErrorCode.NOT_FOUND, "no circulation with that code")
            if who.is_kiosk:
                await self._kiosk_may(s, who, row)
            index = STATES.index(row.state)
            expected = STATES[index + 1] if index + 1 < len(STATES) else None
            if body.hop != expected:
                raise OutOfOrder(code, row.state, expected)
            row.state, row.state_at = body.hop, now
            if who.is_kiosk:
                row.location = who.point_name[:200] or row.location
            s.add(
                CirculationHop(
                    circulation_id=row.id,
                    hop=body.hop,
                    at=now,
                    by_kind=who.actor_kind,
                    by_id=who.subject_id,
                    note=body.note.strip(),
                )
            )
            await record_event(s, row.session_id, "circulation", who, code=code, hop=body.hop)
            s.add(audit_entry(who, "circulation.scan", row.session_id, code=code, hop=body.hop))
            result = self._json(row, local_date(now))
        log.info("circulation %s: %s", code, body.hop)
        return result

    async def listing(self, who: Principal, overdue_only: bool) -> list[dict[str, Any]]:
        """All circulations not yet returned to the resident; overdue first, oldest first."""
        if who.role not in _STAFF:
            raise HubError(ErrorCode.FORBIDDEN, "officers, supervisors and admins only")
        today = local_date(self.clock())
        out = [self._json(r, today) for r in await self.store.unfinished()]
        if overdue_only:
            out = [r for r in out if r["overdue"]]
        out.sort(key=lambda r: (not r["overdue"], r["state_at"], r["id"]))
        return out

    async def detail(self, who: Principal, text: str) -> dict[str, Any]:
        """One circulation with its hops."""
        if who.role not in _STAFF:
            raise HubError(ErrorCode.FORBIDDEN, "officers, supervisors and admins only")
        code = code_from_scan(text)
        found = await self.store.with_hops(code)
        if found is None:
            raise HubError(ErrorCode.NOT_FOUND, "no circulation with that code")
        row, hops = found
        data = self._json(row, local_date(self.clock()))
        data["hops"] = [
            {"hop": h.hop, "at": iso(h.at), "by_kind": h.by_kind, "by_id": h.by_id,
             "note": h.note}
            for h in hops
        ]  # fmt: skip
        return data


CIRCULATION_KEY = web.AppKey("circulation", CirculationService)
"""The hub's circulation service."""
