"""Fleet registry over HTTP: service points, hours, devices, health, inspections, work orders.

Kiosk endpoints (device token):
- `GET /api/v1/kiosk/service` (`KioskService`): `closed` (the point is closed: no
  queueing at all), `open_now` (within its hours; no rules: open all day),
  `hours_today`, `next_open` (null when open now, or none within a year).
- `POST /api/v1/fleet/health` (`HealthReport`) -> `HealthReceipt`: one open work order
  per kiosk and failed part. An unenrolled or revoked kiosk gets 401.

Officer, technician and admin endpoints (who may call each: its `@allow`):
- `GET /api/v1/sessions/{sid}/kiosk-health`: the latest report of the session's kiosk.
- Points, effective-dated: `GET|POST /api/v1/fleet/points` (`?at=&sub_district=`),
  `POST .../points/{id}/changes` (change, close, reopen from a date), `GET .../history`.
- Hours: `GET|POST /api/v1/fleet/points/{id}/hours` (weekly, closed, special; overlaps
  409), `POST /api/v1/fleet/hours/{rule_id}/delete`, `GET .../points/{id}/calendar
  ?from=&days=N` (N <= 366).
- Devices: `POST /api/v1/fleet/devices`, `.../devices/{id}/move`, `GET .../devices/{id}`,
  `GET .../points/{id}/devices`.
- Inspections: `POST .../points/{id}/inspections`, `GET .../inspections/due
  ?within_days=`, `POST .../inspections/{id}/record`.
- Work orders: `GET|POST /api/v1/fleet/work-orders` (`?state=&point_id=`), `POST
  .../work-orders/{id}/close`.
- `GET .../kiosks/{id}/health`, `GET .../overview?sub_district=` (offline first),
  `GET .../geojson` (points open today, RFC 7946).
"""

from __future__ import annotations

import datetime as dt
import logging

from aiohttp import web

from backoffice_console.hub.calls import CALLS_KEY, QueueJoining
from backoffice_console.hub.core.access import CASE_WORKERS, FLEET, allow
from backoffice_console.hub.core.caller import principal_of
from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.http import id_match, json_reply, query_day, read_body, wire
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.core.ws import Connected, Disconnected
from backoffice_console.hub.fleet import hours
from backoffice_console.hub.fleet.points import local_today
from backoffice_console.hub.fleet.service import FLEET_KEY, Fleet
from shared.protocol import ErrorCode, Role
from shared.protocol.fleet import (
    ChangeBody,
    CloseBody,
    DayHoursList,
    Device,
    DeviceBody,
    DeviceList,
    HourBody,
    HourRule,
    HourRuleList,
    HoursDeleted,
    Inspection,
    InspectionBody,
    InspectionList,
    KioskService,
    MoveBody,
    OrderBody,
    OverviewList,
    PointBody,
    PointFeatureCollection,
    PointVersion,
    PointVersionList,
    RecordBody,
    WorkOrder,
    WorkOrderList,
)
from shared.protocol.health import HealthReceipt, HealthReport, LatestHealth, StoredHealthReportList

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

STAFF = (Role.ADMIN, Role.TECHNICIAN)


def _id(request: web.Request, name: str) -> int:
    return id_match(request, name, name.removesuffix("_id").replace("_", " "))


def _date_param(request: web.Request, name: str) -> dt.date | None:
    return query_day(request, name)


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
    who = await principal_of(request)
    if who.role not in roles:
        raise HubError(ErrorCode.FORBIDDEN, f"only {', '.join(r.value for r in roles)}")
    return request.app[FLEET_KEY], who


# --- kiosk -------------------------------------------------------------------------


@routes.get("/api/v1/kiosk/service")
@wire(request=None, response=KioskService)
@allow(Role.KIOSK)
async def kiosk_service(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, Role.KIOSK)
    point_id = await fleet.points.point_of_kiosk(who.subject_id)
    return json_reply((await fleet.points.service(point_id)).to_json())


@routes.post("/api/v1/fleet/health")
@wire(request=HealthReport, response=HealthReceipt)
@allow(Role.KIOSK)
async def health_report(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, Role.KIOSK)
    report = await read_body(request, HealthReport)
    return json_reply(await fleet.care.report(who, report))


@routes.get("/api/v1/sessions/{session_id}/kiosk-health")
@wire(request=None, response=LatestHealth)
@allow(*CASE_WORKERS, Role.TECHNICIAN)
async def session_kiosk_health(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, Role.OFFICER, Role.SUPERVISOR, *STAFF)
    session_id = request.match_info["session_id"]
    if who.role in STAFF:
        kiosk_id = await fleet.care.kiosk_of_session(session_id)
    else:
        calls = request.app[CALLS_KEY].calls
        kiosk_id = (await calls.holder_check(session_id, who)).kiosk_id
    return json_reply(await fleet.care.latest(kiosk_id))


# --- points and hours --------------------------------------------------------------


@routes.get("/api/v1/fleet/points")
@wire(request=None, response=PointVersionList)
@allow(*FLEET)
async def list_points(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    day = _date_param(request, "at") or local_today()
    return json_reply(await fleet.points.at(day, request.query.get("sub_district") or None))


@routes.post("/api/v1/fleet/points")
@wire(request=PointBody, response=PointVersion)
@allow(Role.ADMIN)
async def create_point(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, Role.ADMIN)
    body = await read_body(request, PointBody)
    fields = body.model_dump(exclude={"effective"}) | {"status": "open", "reason": "opened"}
    return json_reply(await fleet.points.create(fields, body.effective or local_today(), who), 201)


@routes.post("/api/v1/fleet/points/{point_id}/changes")
@wire(request=ChangeBody, response=PointVersion)
@allow(Role.ADMIN)
async def change_point(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, Role.ADMIN)
    point_id = _id(request, "point_id")
    body = await read_body(request, ChangeBody)
    changes = body.model_dump(exclude={"effective"}, exclude_unset=True)
    if not set(changes) - {"reason"}:
        raise HubError(ErrorCode.BAD_MESSAGE, "nothing to change")
    if body.status == "closed" and not body.reason:
        raise HubError(ErrorCode.BAD_MESSAGE, "closing a point needs a reason")
    return json_reply(await fleet.points.change(point_id, changes, body.effective, who), 201)


@routes.get("/api/v1/fleet/points/{point_id}/history")
@wire(request=None, response=PointVersionList)
@allow(*FLEET)
async def point_history(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    return json_reply(await fleet.points.history(_id(request, "point_id")))


@routes.get("/api/v1/fleet/points/{point_id}/hours")
@wire(request=None, response=HourRuleList)
@allow(*FLEET)
async def list_hours(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    return json_reply(await fleet.points.rules(_id(request, "point_id")))


@routes.post("/api/v1/fleet/points/{point_id}/hours")
@wire(request=HourBody, response=HourRule)
@allow(Role.ADMIN)
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
    return json_reply(await fleet.points.add_rule(point_id, rule, body.note, who), 201)


@routes.post("/api/v1/fleet/hours/{rule_id}/delete")
@wire(request=None, response=HoursDeleted)
@allow(Role.ADMIN)
async def delete_hours(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, Role.ADMIN)
    await fleet.points.delete_rule(_id(request, "rule_id"), who)
    return json_reply({"deleted": True})


@routes.get("/api/v1/fleet/points/{point_id}/calendar")
@wire(request=None, response=DayHoursList)
@allow(*FLEET)
async def hours_calendar(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    start = _date_param(request, "from") or local_today()
    days = _int_param(request, "days", 7, 1, 366)
    return json_reply(await fleet.points.calendar(_id(request, "point_id"), start, days))


# --- devices -----------------------------------------------------------------------


@routes.get("/api/v1/fleet/points/{point_id}/devices")
@wire(request=None, response=DeviceList)
@allow(*FLEET)
async def point_devices(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    return json_reply(await fleet.devices.devices_at(_id(request, "point_id")))


@routes.post("/api/v1/fleet/devices")
@wire(request=DeviceBody, response=Device)
@allow(*FLEET)
async def register_device(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, *STAFF)
    body = await read_body(request, DeviceBody)
    device = await fleet.devices.register_device(
        body.point_id, body.kind, body.model, body.serial, who
    )
    return json_reply(device, 201)


@routes.get("/api/v1/fleet/devices/{device_id}")
@wire(request=None, response=Device)
@allow(*FLEET)
async def device_detail(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    return json_reply(await fleet.devices.device(_id(request, "device_id")))


@routes.post("/api/v1/fleet/devices/{device_id}/move")
@wire(request=MoveBody, response=Device)
@allow(*FLEET)
async def move_device(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, *STAFF)
    device_id = _id(request, "device_id")
    body = await read_body(request, MoveBody)
    return json_reply(await fleet.devices.move_device(device_id, body.point_id, who))


# --- inspections, work orders, health, overview, map -------------------------------


@routes.post("/api/v1/fleet/points/{point_id}/inspections")
@wire(request=InspectionBody, response=Inspection)
@allow(*FLEET)
async def schedule_inspection(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, *STAFF)
    point_id = _id(request, "point_id")
    body = await read_body(request, InspectionBody)
    return json_reply(
        await fleet.care.schedule(point_id, body.title, body.checklist, body.due_on, who), 201
    )


@routes.get("/api/v1/fleet/inspections/due")
@wire(request=None, response=InspectionList)
@allow(*FLEET)
async def inspections_due(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    return json_reply(await fleet.care.due(_int_param(request, "within_days", 14, 0, 366)))


@routes.post("/api/v1/fleet/inspections/{inspection_id}/record")
@wire(request=RecordBody, response=Inspection)
@allow(*FLEET)
async def record_inspection(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, *STAFF)
    inspection_id = _id(request, "inspection_id")
    body = await read_body(request, RecordBody)
    return json_reply(await fleet.care.record(inspection_id, body.results, body.note, who))


@routes.get("/api/v1/fleet/work-orders")
@wire(request=None, response=WorkOrderList)
@allow(*FLEET)
async def list_orders(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    state = request.query.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise HubError(ErrorCode.BAD_MESSAGE, "state must be open, closed or all")
    point = _int_param(request, "point_id", 0, 0, 2**31 - 1) or None
    return json_reply(await fleet.care.orders(state, point))


@routes.post("/api/v1/fleet/work-orders")
@wire(request=OrderBody, response=WorkOrder)
@allow(*FLEET)
async def open_order(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, *STAFF)
    body = await read_body(request, OrderBody)
    order = await fleet.care.open_order(body.point_id, body.kiosk_id, body.summary, who)
    return json_reply(order, 201)


@routes.post("/api/v1/fleet/work-orders/{order_id}/close")
@wire(request=CloseBody, response=WorkOrder)
@allow(*FLEET)
async def close_order(request: web.Request) -> web.Response:
    fleet, who = await _caller(request, *STAFF)
    order_id = _id(request, "order_id")
    body = await read_body(request, CloseBody)
    return json_reply(await fleet.care.close_order(order_id, body.note, who))


@routes.get("/api/v1/fleet/kiosks/{kiosk_id}/health")
@wire(request=None, response=StoredHealthReportList)
@allow(*FLEET)
async def kiosk_health_history(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    limit = _int_param(request, "limit", 20, 1, 200)
    return json_reply(await fleet.care.history(_id(request, "kiosk_id"), limit))


@routes.get("/api/v1/fleet/overview")
@wire(request=None, response=OverviewList)
@allow(*FLEET)
async def overview(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    return json_reply(await fleet.care.overview(request.query.get("sub_district") or None))


@routes.get("/api/v1/fleet/geojson")
@wire(request=None, response=PointFeatureCollection)
@allow(*FLEET)
async def geojson(request: web.Request) -> web.Response:
    fleet, _ = await _caller(request, *STAFF)
    response = json_reply(await fleet.geojson())
    response.content_type = "application/geo+json"
    return response


# --- wiring ------------------------------------------------------------------------


async def _startup(app: web.Application) -> None:
    await app[FLEET_KEY].start()


def setup(app: web.Application) -> None:
    """The fleet service, its routes, its start-up step and what it listens to.

    Kiosks' presence follows `core.ws.Connected`/`Disconnected`; `calls.QueueJoining`
    is refused at a closed point. Core's migration is on_startup before any domain's.
    """
    core = app[CORE_KEY]
    fleet = Fleet(core.db)
    app[FLEET_KEY] = fleet
    core.bus.subscribe(QueueJoining, fleet.on_queue_joining)
    core.bus.subscribe(Connected, fleet.on_connected)
    core.bus.subscribe(Disconnected, fleet.on_disconnected)
    app.add_routes(routes)
    app.on_startup.append(_startup)
