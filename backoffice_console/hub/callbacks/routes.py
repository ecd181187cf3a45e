"""Call-back requests at the hub (issue 6): left at a kiosk outside service hours.

- `POST /api/v1/callbacks` (kiosk token, body `CallbackCreate`): the matter must
  exist in the current catalogue and the phone must be a mainland mobile or
  landline number, else 400/404 and nothing is stored. Phone and note are
  encrypted with the hub's personal-data vault (as identities are) under a
  random `ref`; audited `callback.create` (no personal data in the detail).
- `GET /api/v1/callbacks?state=open|done|all` (officer, supervisor, admin): the
  requests with the phone masked (`138****1234`); audited `callback.list`.
- `GET /api/v1/callbacks/{id}/phone` (same roles): the full number to dial;
  audited `callback.reveal`.
- `POST /api/v1/callbacks/{id}/done` (same roles, body `CallbackDone`): closes an
  open request; a second close is a conflict. Audited `callback.done`.
"""

from __future__ import annotations

from aiohttp import web

from backoffice_console.hub.callbacks.service import CALLBACKS_KEY, Callbacks
from backoffice_console.hub.callbacks.store import CallbackStore
from backoffice_console.hub.catalogue import CATALOGUE_KEY
from backoffice_console.hub.core.access import CASE_WORKERS, allow
from backoffice_console.hub.core.caller import principal_of
from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.http import id_match, json_reply, read_body, wire
from backoffice_console.hub.core.principal import Principal
from shared.protocol import ErrorCode, Role
from shared.protocol.callbacks import (
    CallbackClosed,
    CallbackCreate,
    CallbackCreated,
    CallbackDone,
    CallbackPhone,
    CallbacksReply,
)

READERS = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN})

routes = web.RouteTableDef()


async def _reader(request: web.Request) -> Principal:
    who = await principal_of(request)
    if who.role not in READERS:
        raise HubError(ErrorCode.FORBIDDEN, "only officers, supervisors and admins")
    return who


def _id_of(request: web.Request) -> int:
    return id_match(request, "callback_id", "call-back request")


@routes.post("/api/v1/callbacks")
@wire(request=CallbackCreate, response=CallbackCreated)
@allow(Role.KIOSK)
async def create_callback(request: web.Request) -> web.Response:
    """POST /api/v1/callbacks."""
    who = await principal_of(request)
    if not who.is_kiosk:
        raise HubError(ErrorCode.FORBIDDEN, "only a kiosk leaves call-back requests")
    body = await read_body(request, CallbackCreate)
    return json_reply(await request.app[CALLBACKS_KEY].create(who, body))


@routes.get("/api/v1/callbacks")
@wire(request=None, response=CallbacksReply)
@allow(*CASE_WORKERS)
async def list_callbacks(request: web.Request) -> web.Response:
    """GET /api/v1/callbacks?state=open|done|all."""
    who = await _reader(request)
    state = request.query.get("state", "open")
    return json_reply(await request.app[CALLBACKS_KEY].listing(who, state))


@routes.get("/api/v1/callbacks/{callback_id}/phone")
@wire(request=None, response=CallbackPhone)
@allow(*CASE_WORKERS)
async def reveal_phone(request: web.Request) -> web.Response:
    """GET /api/v1/callbacks/{id}/phone: the number to dial (audited)."""
    who = await _reader(request)
    callback_id = _id_of(request)
    return json_reply(await request.app[CALLBACKS_KEY].reveal(who, callback_id))


@routes.post("/api/v1/callbacks/{callback_id}/done")
@wire(request=CallbackDone, response=CallbackClosed)
@allow(*CASE_WORKERS)
async def mark_done(request: web.Request) -> web.Response:
    """POST /api/v1/callbacks/{id}/done {note}."""
    who = await _reader(request)
    callback_id = _id_of(request)
    body = await read_body(request, CallbackDone)
    return json_reply(await request.app[CALLBACKS_KEY].done(who, callback_id, body.note))


def setup(app: web.Application) -> None:
    """The call-back service (sealing with the core's vault) and its routes."""
    core = app[CORE_KEY]
    store = CallbackStore(core.db)
    app[CALLBACKS_KEY] = Callbacks(store, app[CATALOGUE_KEY], core.audit, core.vault)
    app.add_routes(routes)
