"""Fleet registry over HTTP: service points, hours, devices, health, inspections, work orders.

Kiosk endpoints (device token):
- `GET /api/v1/kiosk/service` -> `{"point": {"id", "name"}, "open_now": bool,
  "hours_today": [["09:00", "17:00"], ...], "next_open": iso | null, "closed": bool}`.
  `closed`: the point itself is closed (no queueing at all); `open_now`: within its
  hours now. A point with no hour rules is open all day. `next_open` is the next
  opening when not open now (null when open now, or none within a year).
- `POST /api/v1/fleet/health` (body: `shared.protocol.health.HealthReport` JSON) ->
  `{"report_id", "failed": [part...], "work_orders_opened": [id...]}`. One open work
  order per kiosk and failed part. An unenrolled or revoked kiosk gets 401.

Officer endpoint:
- `GET /api/v1/sessions/{sid}/kiosk-health` (the officer holding the session; admins
  and technicians too) -> `{"kiosk_id", "received_at": iso | null, "report": HealthReport
  JSON | null}`: the latest report of the session's kiosk.

Admin and technician endpoints (writes to points and hours: admins only):
- `GET /api/v1/fleet/points?at=YYYY-MM-DD&sub_district=` points as of a date (today);
  `POST /api/v1/fleet/points` {kind, name, address, sub_district, longitude, latitude,
  contact, effective?} create; `POST /api/v1/fleet/points/{id}/changes` {effective, any
  field, status open|closed, reason} change / close / reopen from a date;
  `GET /api/v1/fleet/points/{id}/history`.
- `GET|POST /api/v1/fleet/points/{id}/hours` ({kind weekly|closed|special, weekday,
  day, opens "HH:MM", closes "HH:MM", note}; overlapping rules -> 409 conflict);
  `POST /api/v1/fleet/hours/{rule_id}/delete`; `GET /api/v1/fleet/points/{id}/calendar
  ?from=YYYY-MM-DD&days=N` -> `[{"date", "open": [["09:00", "12:00"], ...]}, ...]` (N <= 366).
- `POST /api/v1/fleet/devices` {point_id, kind, model, serial}; `POST
  /api/v1/fleet/devices/{id}/move` {point_id}; `GET /api/v1/fleet/devices/{id}`;
  `GET /api/v1/fleet/points/{id}/devices`.
- `POST /api/v1/fleet/points/{id}/inspections` {title, checklist, due_on};
  `GET /api/v1/fleet/inspections/due?within_days=14`; `POST
  /api/v1/fleet/inspections/{id}/record` {results: {item: bool}, note}.
- `GET /api/v1/fleet/work-orders?state=open|closed|all&point_id=`; `POST
  /api/v1/fleet/work-orders` {point_id, kiosk_id?, summary}; `POST
  /api/v1/fleet/work-orders/{id}/close` {note}.
- `GET /api/v1/fleet/kiosks/{id}/health` report history; `GET
  /api/v1/fleet/overview?sub_district=` (offline kiosks first).
- `GET /api/v1/fleet/geojson`: points open today as an RFC 7946 FeatureCollection.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from backoffice_console.hub import fleet_hours as hours
from backoffice_console.hub.accounts import Principal
from backoffice_console.hub.api import principal_of, read_body
from backoffice_console.hub.errors import HubError
from backoffice_console.hub.fleet_care import FleetCare
from backoffice_console.hub.fleet_geojson import open_points
from backoffice_console.hub.fleet_points import FleetPoints, local_today
from backoffice_console.hub.services import HUB_KEY, Hub
from shared.protocol import ErrorCode, Role
from shared.protocol.health import HealthReport

log = logging.getLogger(__name__)

_dumps = functools.partial(json.dumps, ensure_ascii=False)
Text200 = Annotated[str, Field(min_length=1, max_length=200)]
PointKind = Literal["committee", "park", "building", "party_mass_centre"]


class Fleet:
    """The fleet's two stores, kept on the app under `FLEET_KEY`."""

    def __init__(self, hub: Hub) -> None:
        self.points = FleetPoints(hub.db)
        self.care = FleetCare(hub.db, self.points)


FLEET_KEY = web.AppKey("fleet", Fleet)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PointBody(_Body):
    """`POST /api/v1/fleet/points`."""

    kind: PointKind
    name: Text200
    address: str = Field(default="", max_length=300)
    sub_district: str = Field(default="", max_length=100)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    contact: str = Field(default="", max_length=200)
    effective: dt.date | None = None


class ChangeBody(_Body):
    """`POST /api/v1/fleet/points/{id}/changes`: only the fields given change."""

    effective: dt.date
    kind: PointKind | None = None
    name: Text200 | None = None
    address: str | None = Field(default=None, max_length=300)
    sub_district: str | None = Field(default=None, max_length=100)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    contact: str | None = Field(default=None, max_length=200)
    status: Literal["open", "closed"] | None = None
    reason: str = Field(default="", max_length=300)


class HourBody(_Body):
    """`POST /api/v1/fleet/points/{id}/hours`."""

    kind: Literal["weekly", "closed", "special"]
    weekday: int | None = Field(default=None, ge=0, le=6)
    day: dt.date | None = None
    opens: str | None = Field(default=None, max_length=5)
    closes: str | None = Field(default=None, max_length=5)
    note: str = Field(default="", max_length=200)


class DeviceBody(_Body):
    """`POST /api/v1/fleet/devices`."""

    point_id: int = Field(ge=1)
    kind: Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[a-z0-9_.]+$")]
    model: Annotated[str, Field(min_length=1, max_length=100)]
    serial: Annotated[str, Field(min_length=1, max_length=100)]


class MoveBody(_Body):
    """`POST /api/v1/fleet/devices/{id}/move`."""

    point_id: int = Field(ge=1)


class InspectionBody(_Body):
    """`POST /api/v1/fleet/points/{id}/inspections`."""

    title: Text200
    checklist: list[Text200] = Field(min_length=1, max_length=30)
    due_on: dt.date


class RecordBody(_Body):
    """`POST /api/v1/fleet/inspections/{id}/record`."""

    results: dict[Annotated[str, Field(max_length=200)], bool] = Field(max_length=30)
    note: str = Field(default="", max_length=500)


class OrderBody(_Body):
    """`POST /api/v1/fleet/work-orders`."""

    point_id: int = Field(ge=1)
    kiosk_id: int | None = Field(default=None, ge=1)
    summary: Annotated[str, Field(min_length=1, max_length=300)]


class CloseBody(_Body):
    """`POST /api/v1/fleet/work-orders/{id}/close`: the note is required."""

    note: Annotated[str, Field(min_length=1, max_length=500)]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _id(request: web.Request, name: str) -> int:
    try:
        value = int(request.match_info[name])
    except ValueError:
        raise HubError(ErrorCode.BAD_MESSAGE, f"{name} must be a number") from None
    if not 1 <= value <= 2**31 - 1:
        raise HubError(ErrorCode.NOT_FOUND, "no such item")
    return value


def _date_param(request: web.Request, name: str) -> dt.date | None:
    raw = request.query.get(name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise HubError(ErrorCode.BAD_MESSAGE, f"{name} must be YYYY-MM-DD") from None


def _int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise HubError(ErrorCode.BAD_MESSAGE, f"{name} must be a number") from None
    if not low <= value <= high:
        raise HubError(ErrorCode.BAD_MESSAGE, f"{name} must be {low} to {high}")
    return value


async def _caller(request: web.Request, *roles: Role) -> tuple[Fleet, Principal]:
    hub = request.app[HUB_KEY]
    who = await principal_of(request, hub)
    if who.role not in roles:
        raise HubError(ErrorCode.FORBIDDEN, f"only {', '.join(r.value for r in roles)}")
    return request.app[FLEET_KEY], who


STAFF = (Role.ADMIN, Role.TECHNICIAN)


# --- kiosk -------------------------------------------------------------------------


async def kiosk_service(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, Role.KIOSK)
    point_id = await fleet.points.point_of_kiosk(who.subject_id)
    return _json((await fleet.points.service(point_id)).to_json())


async def health_report(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, Role.KIOSK)
    report = await read_body(request, HealthReport)
    return _json(await fleet.care.report(who, report))


async def session_kiosk_health(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    fleet, who = await _caller(request, Role.OFFICER, Role.SUPERVISOR, *STAFF)
    session_id = request.match_info["session_id"]
    if who.role in STAFF:
        kiosk_id = await fleet.care.kiosk_of_session(session_id)
    else:
        kiosk_id = (await hub.calls.holder_check(session_id, who)).kiosk_id
    return _json(await fleet.care.latest(kiosk_id))


# --- points and hours --------------------------------------------------------------


async def list_points(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    day = _date_param(request, "at") or local_today()
    return _json(await fleet.points.at(day, request.query.get("sub_district") or None))


async def create_point(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, Role.ADMIN)
    body = await read_body(request, PointBody)
    fields = body.model_dump(exclude={"effective"}) | {"status": "open", "reason": "opened"}
    return _json(await fleet.points.create(fields, body.effective or local_today(), who), 201)


async def change_point(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, Role.ADMIN)
    point_id = _id(request, "point_id")
    body = await read_body(request, ChangeBody)
    changes = body.model_dump(exclude={"effective"}, exclude_unset=True)
    if not set(changes) - {"reason"}:
        raise HubError(ErrorCode.BAD_MESSAGE, "nothing to change")
    if body.status == "closed" and not body.reason:
        raise HubError(ErrorCode.BAD_MESSAGE, "closing a point needs a reason")
    return _json(await fleet.points.change(point_id, changes, body.effective, who), 201)


async def point_history(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    return _json(await fleet.points.history(_id(request, "point_id")))


async def list_hours(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    return _json(await fleet.points.rules(_id(request, "point_id")))


async def add_hours(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, Role.ADMIN)
    point_id = _id(request, "point_id")
    body = await read_body(request, HourBody)
    try:
        opens = hours.parse_hhmm(body.opens) if body.opens is not None else 0
        closes = hours.parse_hhmm(body.closes) if body.closes is not None else 0
    except hours.HoursError as exc:
        raise HubError(ErrorCode.BAD_MESSAGE, str(exc)) from None
    if body.kind == hours.CLOSED and (body.opens or body.closes):
        raise HubError(ErrorCode.BAD_MESSAGE, "a closed day has no opening times")
    rule = hours.HourRule(body.kind, body.weekday, body.day, opens, closes)
    return _json(await fleet.points.add_rule(point_id, rule, body.note, who), 201)


async def hours_calendar(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    start = _date_param(request, "from") or local_today()
    days = _int_param(request, "days", 7, 1, 366)
    return _json(await fleet.points.calendar(_id(request, "point_id"), start, days))


async def delete_hours(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, Role.ADMIN)
    await fleet.points.delete_rule(_id(request, "rule_id"), who)
    return _json({"deleted": True})


async def geojson(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    await fleet.points.ensure_versions()
    response = _json(await open_points(request.app[HUB_KEY].db))
    response.content_type = "application/geo+json"
    return response


# --- devices -----------------------------------------------------------------------


async def register_device(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, *STAFF)
    body = await read_body(request, DeviceBody)
    device = await fleet.points.register_device(
        body.point_id, body.kind, body.model, body.serial, who
    )
    return _json(device, 201)


async def move_device(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, *STAFF)
    device_id = _id(request, "device_id")
    body = await read_body(request, MoveBody)
    return _json(await fleet.points.move_device(device_id, body.point_id, who))


async def device_detail(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    return _json(await fleet.points.device(_id(request, "device_id")))


async def point_devices(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    return _json(await fleet.points.devices_at(_id(request, "point_id")))


# --- inspections, work orders, health, overview -------------------------------------


async def schedule_inspection(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, *STAFF)
    point_id = _id(request, "point_id")
    body = await read_body(request, InspectionBody)
    return _json(
        await fleet.care.schedule(point_id, body.title, body.checklist, body.due_on, who), 201
    )


async def inspections_due(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    return _json(await fleet.care.due(_int_param(request, "within_days", 14, 0, 366)))


async def record_inspection(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, *STAFF)
    inspection_id = _id(request, "inspection_id")
    body = await read_body(request, RecordBody)
    return _json(await fleet.care.record(inspection_id, body.results, body.note, who))


async def list_orders(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    state = request.query.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise HubError(ErrorCode.BAD_MESSAGE, "state must be open, closed or all")
    point = _int_param(request, "point_id", 0, 0, 2**31 - 1) or None
    return _json(await fleet.care.orders(state, point))


async def open_order(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, *STAFF)
    body = await read_body(request, OrderBody)
    return _json(await fleet.care.open_order(body.point_id, body.kiosk_id, body.summary, who), 201)


async def close_order(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, *STAFF)
    order_id = _id(request, "order_id")
    body = await read_body(request, CloseBody)
    return _json(await fleet.care.close_order(order_id, body.note, who))


async def kiosk_health_history(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    limit = _int_param(request, "limit", 20, 1, 200)
    return _json(await fleet.care.history(_id(request, "kiosk_id"), limit))


async def overview(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    return _json(await fleet.care.overview(request.query.get("sub_district") or None))


# --- wiring ------------------------------------------------------------------------


async def _startup(app: web.Application) -> None:
    fleet = app[FLEET_KEY]
    await fleet.care.all_offline()
    added = await fleet.points.ensure_versions()
    if added:
        log.info("gave %d existing service points their first version", added)


def setup_fleet(app: web.Application) -> None:
    """Register the fleet routes and start-up step; call after the hub's own start-up is added.

    Also makes `calls.join` refuse queueing at a closed point (`join_guard`).
    """
    hub = app[HUB_KEY]
    fleet = Fleet(hub)
    app[FLEET_KEY] = fleet
    hub.calls.join_guard = fleet.points.check_queue_open
    app.on_startup.append(_startup)
    r = app.router
    r.add_get("/api/v1/kiosk/service", kiosk_service)
    r.add_post("/api/v1/fleet/health", health_report)
    r.add_get("/api/v1/sessions/{session_id}/kiosk-health", session_kiosk_health)
    r.add_get("/api/v1/fleet/points", list_points)
    r.add_post("/api/v1/fleet/points", create_point)
    r.add_post("/api/v1/fleet/points/{point_id}/changes", change_point)
    r.add_get("/api/v1/fleet/points/{point_id}/history", point_history)
    r.add_get("/api/v1/fleet/points/{point_id}/hours", list_hours)
    r.add_post("/api/v1/fleet/points/{point_id}/hours", add_hours)
    r.add_post("/api/v1/fleet/hours/{rule_id}/delete", delete_hours)
    r.add_get("/api/v1/fleet/points/{point_id}/calendar", hours_calendar)
    r.add_get("/api/v1/fleet/points/{point_id}/devices", point_devices)
    r.add_post("/api/v1/fleet/points/{point_id}/inspections", schedule_inspection)
    r.add_post("/api/v1/fleet/devices", register_device)
    r.add_get("/api/v1/fleet/devices/{device_id}", device_detail)
    r.add_post("/api/v1/fleet/devices/{device_id}/move", move_device)
    r.add_get("/api/v1/fleet/inspections/due", inspections_due)
    r.add_post("/api/v1/fleet/inspections/{inspection_id}/record", record_inspection)
    r.add_get("/api/v1/fleet/work-orders", list_orders)
    r.add_post("/api/v1/fleet/work-orders", open_order)
    r.add_post("/api/v1/fleet/work-orders/{order_id}/close", close_order)
    r.add_get("/api/v1/fleet/kiosks/{kiosk_id}/health", kiosk_health_history)
    r.add_get("/api/v1/fleet/overview", overview)
    r.add_get("/api/v1/fleet/geojson", geojson)


__all__ = ["FLEET_KEY", "Fleet", "kiosk_presence", "setup_fleet"]


async def kiosk_presence(app: web.Application, kiosk_id: int, online: bool) -> None:
    """Record a kiosk's websocket presence (called by hub/ws.py); never raises."""
    fleet = app.get(FLEET_KEY)
    if fleet is None:
        return
    try:
        await fleet.care.presence(kiosk_id, online)
    except Exception:
        # Presence is for the technicians' overview; it must never break a connection.
        log.exception("kiosk %d: presence not recorded", kiosk_id)
