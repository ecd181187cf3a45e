"""Material circulation: originals travelling with a transmittal slip, hop by hop.

A circulation is opened when the hub renders a transmittal slip (`open_for_slip`,
called in the document's transaction); its code is the slip number, which the
slip's QR code carries (`RVW-SLIP:<code>:<case no>`; a scanner may send either
that text or the bare code). Each hand-over is a scan:

    issued -> at_point -> with_courier -> at_centre -> returned_to_point -> returned_to_resident

- `POST /api/v1/circulation/scan` `{code, hop, note}`: officers, supervisors and
  admins any hop; a kiosk only the hops at its own service point (at_point,
  returned_to_point, returned_to_resident). A hop that is not the next one ->
  409 `conflict` with `state` (where it is) and `expected` (the next hop);
  an unknown code -> 404. Nothing changes on a refusal.
- `GET /api/v1/circulation[?overdue=1]`: overdue first, then longest waiting.
- `GET /api/v1/circulation/{code}`: one circulation with its hops.

A circulation is overdue when it stayed in one state longer than that state's
working-day limit (`DEFAULT_LIMITS`, overridden by `circulation_hop_workdays`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from collections.abc import Callable
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.accounts import Principal
from backoffice_console.hub.api import principal_of, read_body
from backoffice_console.hub.calls import audit_entry
from backoffice_console.hub.cases import CASES_KEY
from backoffice_console.hub.db import CallSession, Case, Kiosk, utcnow
from backoffice_console.hub.db.models_evaluation import Circulation, CirculationHop
from backoffice_console.hub.errors import HubError
from backoffice_console.hub.evaluation import case_event, local_date
from backoffice_console.hub.services import HUB_KEY, Hub
from backoffice_console.hub.workdays import WorkCalendar, china_calendar
from shared.protocol import ErrorCode, Role

log = logging.getLogger(__name__)

HOPS = ("at_point", "with_courier", "at_centre", "returned_to_point", "returned_to_resident")
STATES = ("issued", *HOPS)
KIOSK_HOPS = frozenset({"at_point", "returned_to_point", "returned_to_resident"})
FINAL = "returned_to_resident"
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
_dumps = functools.partial(json.dumps, ensure_ascii=False)


def code_from_scan(text: str) -> str:
    """The circulation code in what a scanner typed: the slip's QR text or the bare code."""
    text = text.strip()
    if text.upper().startswith(QR_PREFIX):
        return text[len(QR_PREFIX) :].split(":", 1)[0].strip()
    return text


class ScanBody(BaseModel):
    """`POST /api/v1/circulation/scan`."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=300)
    hop: Literal[
        "at_point", "with_courier", "at_centre", "returned_to_point", "returned_to_resident"
    ]
    note: str = Field(default="", max_length=200)


class OutOfOrder(Exception):
    """A hop that is not the circulation's next one."""

    def __init__(self, code: str, state: str, expected: str | None) -> None:
        super().__init__(f"{code} is {state}")
        self.code = code
        self.state = state
        self.expected = expected


async def open_for_slip(
    s: AsyncSession,
    session_id: str,
    *,
    code: str,
    case_no: str,
    items: list[dict[str, Any]],
    location: str,
) -> int:
    """Open the circulation of a slip in the caller's transaction (a reprint keeps the first)."""
    existing = await s.scalar(select(Circulation.id).where(Circulation.code == code))
    if existing is not None:
        return int(existing)
    case_id = await s.scalar(select(Case.id).where(Case.session_id == session_id))
    now = utcnow()
    row = Circulation(
        code=code,
        session_id=session_id,
        case_id=case_id,
        case_no=case_no,
        items=items,
        state="issued",
        location=location[:200],
        created_at=now,
        state_at=now,
    )
    s.add(row)
    await s.flush()
    await case_event(s, session_id, "circulation_issued", None, code=code)
    return row.id


class CirculationService:
    """Scans and listings of circulations."""

    def __init__(
        self,
        hub: Hub,
        limits: dict[str, int] | None = None,
        calendar: WorkCalendar | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        unknown = set(limits or {}) - set(DEFAULT_LIMITS)
        if unknown:
            raise ValueError(f"circulation_hop_workdays: unknown states {sorted(unknown)}")
        self.hub = hub
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
            "created_at": row.created_at.isoformat(),
            "state_at": row.state_at.isoformat(),
            "overdue": self.overdue(row, today),
            "limit_workdays": self.limits.get(row.state),
        }

    async def originals(self, session_id: str) -> list[dict[str, Any]]:
        """Where a session's originals are, for the resident's progress view (no personal data)."""
        today = local_date(self.clock())
        async with self.hub.db.session() as s:
            rows = await s.scalars(
                select(Circulation)
                .where(Circulation.session_id == session_id)
                .order_by(Circulation.id)
            )
            return [
                {"code": r.code, "state": r.state, "since": r.state_at.isoformat(),
                 "items": [i.get("name", "") for i in r.items], "overdue": self.overdue(r, today)}
                for r in rows
            ]  # fmt: skip

    async def progress_extra(self, case: Case) -> dict[str, Any]:
        """The case service's progress hook: `{"originals": [...]}`."""
        return {"originals": await self.originals(case.session_id)}

    async def _kiosk_may(self, s: AsyncSession, kiosk: Principal, row: Circulation) -> None:
        cs = await s.get(CallSession, row.session_id)
        origin = await s.get(Kiosk, cs.kiosk_id) if cs is not None else None
        mine = await s.get(Kiosk, kiosk.subject_id)
        if origin is None or mine is None or origin.point_id != mine.point_id:
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
        async with self.hub.db.session() as s, s.begin():
            row = await s.scalar(
                select(Circulation).where(Circulation.code == code).with_for_update()
            )
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
            await case_event(s, row.session_id, "circulation", who, code=code, hop=body.hop)
            s.add(audit_entry(who, "circulation.scan", row.session_id, code=code, hop=body.hop))
            result = self._json(row, local_date(now))
        log.info("circulation %s: %s", code, body.hop)
        return result

    async def listing(self, who: Principal, overdue_only: bool) -> list[dict[str, Any]]:
        """All circulations not yet returned to the resident; overdue first, oldest first."""
        if who.role not in _STAFF:
            raise HubError(ErrorCode.FORBIDDEN, "officers, supervisors and admins only")
        today = local_date(self.clock())
        async with self.hub.db.session() as s:
            rows = await s.scalars(
                select(Circulation).where(Circulation.state != FINAL).limit(5000)
            )
            out = [self._json(r, today) for r in rows]
        if overdue_only:
            out = [r for r in out if r["overdue"]]
        out.sort(key=lambda r: (not r["overdue"], r["state_at"], r["id"]))
        return out

    async def detail(self, who: Principal, text: str) -> dict[str, Any]:
        """One circulation with its hops."""
        if who.role not in _STAFF:
            raise HubError(ErrorCode.FORBIDDEN, "officers, supervisors and admins only")
        code = code_from_scan(text)
        async with self.hub.db.session() as s:
            row = await s.scalar(select(Circulation).where(Circulation.code == code))
            if row is None:
                raise HubError(ErrorCode.NOT_FOUND, "no circulation with that code")
            hops = await s.scalars(
                select(CirculationHop)
                .where(CirculationHop.circulation_id == row.id)
                .order_by(CirculationHop.id)
            )
            data = self._json(row, local_date(self.clock()))
            data["hops"] = [
                {"hop": h.hop, "at": h.at.isoformat(), "by_kind": h.by_kind, "by_id": h.by_id,
                 "note": h.note}
                for h in hops
            ]  # fmt: skip
        return data


CIRCULATION_KEY = web.AppKey("circulation", CirculationService)


async def post_scan(request: web.Request) -> web.Response:
    """Record a hand-over (see the module docstring)."""
    service = request.app[CIRCULATION_KEY]
    who = await principal_of(request, service.hub)
    body = await read_body(request, ScanBody)
    try:
        result = await service.scan(who, body)
    except OutOfOrder as exc:
        return web.json_response(
            {
                "code": ErrorCode.CONFLICT.value,
                "message": f"out of order: {exc.code} is {exc.state}, next is {exc.expected}",
                "state": exc.state,
                "expected": exc.expected,
            },
            status=409,
        )
    return web.json_response(result, dumps=_dumps)


async def get_list(request: web.Request) -> web.Response:
    """Circulations under way (`?overdue=1`: only overdue ones)."""
    service = request.app[CIRCULATION_KEY]
    who = await principal_of(request, service.hub)
    overdue = request.query.get("overdue", "0") in ("1", "true", "yes")
    return web.json_response(await service.listing(who, overdue), dumps=_dumps)


async def get_detail(request: web.Request) -> web.Response:
    """One circulation and its hops."""
    service = request.app[CIRCULATION_KEY]
    who = await principal_of(request, service.hub)
    return web.json_response(await service.detail(who, request.match_info["code"]), dumps=_dumps)


def setup_circulation(app: web.Application) -> None:
    """Add the circulation service and its routes."""
    hub = app[HUB_KEY]
    service = CirculationService(hub, hub.config.circulation_hop_workdays)
    app[CIRCULATION_KEY] = service
    if CASES_KEY in app:  # the resident's progress look-up shows where the originals are
        app[CASES_KEY].progress_extras.append(service.progress_extra)
    app.router.add_post("/api/v1/circulation/scan", post_scan)
    app.router.add_get("/api/v1/circulation", get_list)
    app.router.add_get("/api/v1/circulation/{code}", get_detail)
