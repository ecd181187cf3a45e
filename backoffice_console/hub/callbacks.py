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

import json
import secrets
from typing import Any

from aiohttp import web
from sqlalchemy import select

from backoffice_console.hub.accounts import Principal
from backoffice_console.hub.api import principal_of, read_body
from backoffice_console.hub.calls import audit_entry
from backoffice_console.hub.catalogue import CATALOGUE_KEY
from backoffice_console.hub.db import Kiosk, ServicePoint, utcnow
from backoffice_console.hub.db.models_callbacks import CallbackRequest
from backoffice_console.hub.errors import HubError
from backoffice_console.hub.identity import IdentityVault
from backoffice_console.hub.services import HUB_KEY, Hub
from shared.catalogue.model import Catalogue
from shared.protocol import ErrorCode, Role
from shared.protocol.callbacks import CallbackCreate, CallbackDone, mask_phone

READERS = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN})
MAX_LISTED = 500


async def current_catalogue(app: web.Application) -> tuple[int, Catalogue]:
    """The hub's current catalogue (the catalogue area's store)."""
    store = app.get(CATALOGUE_KEY)
    if store is None:
        raise HubError(ErrorCode.BAD_STATE, "this hub has no matter catalogue")
    return await store.current()


def _vault(hub: Hub) -> IdentityVault:
    vault = hub.identities.vault
    if vault is None:
        raise HubError(ErrorCode.BAD_STATE, "this hub has no personal-data key configured")
    return vault


def _ad(ref: str) -> str:
    return f"callback:{ref}"


async def _reader(request: web.Request, hub: Hub) -> Principal:
    who = await principal_of(request, hub)
    if who.role not in READERS:
        raise HubError(ErrorCode.FORBIDDEN, "only officers, supervisors and admins")
    return who


def _id_of(request: web.Request) -> int:
    try:
        value = int(request.match_info["callback_id"])
    except ValueError:
        raise HubError(ErrorCode.BAD_MESSAGE, "callback id must be a number") from None
    if value < 1:
        raise HubError(ErrorCode.BAD_MESSAGE, "callback id must be positive")
    return value


async def create_callback(request: web.Request) -> web.Response:
    """POST /api/v1/callbacks."""
    hub = request.app[HUB_KEY]
    who = await principal_of(request, hub)
    if not who.is_kiosk:
        raise HubError(ErrorCode.FORBIDDEN, "only a kiosk leaves call-back requests")
    body = await read_body(request, CallbackCreate)
    version_id, catalogue = await current_catalogue(request.app)
    if catalogue.matter(body.matter_code) is None:
        raise HubError(ErrorCode.NOT_FOUND, f"unknown matter code {body.matter_code}")
    vault = _vault(hub)
    ref = secrets.token_hex(16)
    secret = json.dumps({"phone": body.phone, "note": body.note}, ensure_ascii=False)
    nonce, ciphertext = vault.seal(_ad(ref), secret.encode("utf-8"))
    async with hub.db.session() as s, s.begin():
        kiosk = await s.get(Kiosk, who.subject_id)
        if kiosk is None:
            raise HubError(ErrorCode.FORBIDDEN, "unknown kiosk")
        row = CallbackRequest(
            ref=ref,
            kiosk_id=kiosk.id,
            point_id=kiosk.point_id,
            matter_code=body.matter_code,
            catalogue_version_id=version_id,
            key_id=vault.key_id,
            nonce=nonce,
            ciphertext=ciphertext,
        )
        s.add(row)
        await s.flush()
        s.add(audit_entry(who, "callback.create", None, callback_id=row.id,
                          matter=body.matter_code))  # fmt: skip
        callback_id = row.id
    return web.json_response({"id": callback_id, "phone_masked": mask_phone(body.phone)})


def _open_secret(vault: IdentityVault, row: CallbackRequest) -> dict[str, str]:
    if row.key_id != vault.key_id:
        raise HubError(ErrorCode.INTERNAL, "call-back request stored under another key")
    data: dict[str, str] = json.loads(vault.open(_ad(row.ref), row.nonce, row.ciphertext))
    return data


async def list_callbacks(request: web.Request) -> web.Response:
    """GET /api/v1/callbacks?state=open|done|all."""
    hub = request.app[HUB_KEY]
    who = await _reader(request, hub)
    state = request.query.get("state", "open")
    if state not in ("open", "done", "all"):
        raise HubError(ErrorCode.BAD_MESSAGE, "state must be open, done or all")
    vault = _vault(hub)
    try:
        _, catalogue = await current_catalogue(request.app)
        names = {m.code: m.name for m in catalogue.matters}
    except HubError:
        names = {}
    query = (
        select(CallbackRequest, ServicePoint.name)
        .join(ServicePoint, ServicePoint.id == CallbackRequest.point_id)
        .order_by(CallbackRequest.created_at, CallbackRequest.id)
        .limit(MAX_LISTED)
    )
    if state != "all":
        query = query.where(CallbackRequest.state == state)
    items: list[dict[str, Any]] = []
    async with hub.db.session() as s, s.begin():
        for row, point_name in (await s.execute(query)).all():
            secret = _open_secret(vault, row)
            items.append(
                {
                    "id": row.id,
                    "point_name": point_name,
                    "matter_code": row.matter_code,
                    "matter_name": names.get(row.matter_code, row.matter_code),
                    "created_at": row.created_at.isoformat(),
                    "phone_masked": mask_phone(secret["phone"]),
                    "note": secret.get("note", ""),
                    "state": row.state,
                    "done_at": row.done_at.isoformat() if row.done_at else None,
                    "done_note": row.done_note,
                }
            )
        s.add(audit_entry(who, "callback.list", None, state=state, count=len(items)))
    return web.json_response({"callbacks": items}, dumps=_dumps)


async def reveal_phone(request: web.Request) -> web.Response:
    """GET /api/v1/callbacks/{id}/phone: the number to dial (audited)."""
    hub = request.app[HUB_KEY]
    who = await _reader(request, hub)
    callback_id = _id_of(request)
    vault = _vault(hub)
    async with hub.db.session() as s, s.begin():
        row = await s.get(CallbackRequest, callback_id)
        if row is None:
            raise HubError(ErrorCode.NOT_FOUND, "no such call-back request")
        phone = _open_secret(vault, row)["phone"]
        s.add(audit_entry(who, "callback.reveal", None, callback_id=row.id))
    return web.json_response({"id": callback_id, "phone": phone})


async def mark_done(request: web.Request) -> web.Response:
    """POST /api/v1/callbacks/{id}/done {note}."""
    hub = request.app[HUB_KEY]
    who = await _reader(request, hub)
    callback_id = _id_of(request)
    body = await read_body(request, CallbackDone)
    async with hub.db.session() as s, s.begin():
        row = await s.get(CallbackRequest, callback_id, with_for_update=True)
        if row is None:
            raise HubError(ErrorCode.NOT_FOUND, "no such call-back request")
        if row.state != "open":
            raise HubError(ErrorCode.CONFLICT, "this call-back request is already done")
        row.state = "done"
        row.done_at = utcnow()
        row.done_by = who.subject_id
        row.done_note = body.note or None
        s.add(audit_entry(who, "callback.done", None, callback_id=row.id))
    return web.json_response({"id": callback_id, "state": "done"})


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def setup_callbacks(app: web.Application) -> None:
    """Add the call-back routes to the hub's application."""
    app.router.add_post("/api/v1/callbacks", create_callback)
    app.router.add_get("/api/v1/callbacks", list_callbacks)
    app.router.add_get("/api/v1/callbacks/{callback_id}/phone", reveal_phone)
    app.router.add_post("/api/v1/callbacks/{callback_id}/done", mark_done)
