"""Materials over HTTP.

- `POST /api/v1/sessions/{session_id}/materials` (kiosk token): the raw JPEG/PNG
  bytes, `X-Content-SHA256` (hex digest of the body, the idempotency key) and
  optionally `X-Command-Id` (the `page.capture` command it answers): 201 with
  `{"material_id", "page_no", "duplicate"}`, 200 for a repeat (see `service`).
- `GET /api/v1/materials/{id}` (the session's officer, or an admin): the full
  image as JPEG; audited (`material.read`).
- `GET /api/v1/sessions/{session_id}/materials`: the list (no image data).
- `GET /api/v1/sessions/{session_id}/materials.pdf`: every page as one PDF
  (the session's officer, or an admin); audited (`material.export`).
"""

from __future__ import annotations

import re

from aiohttp import web

from backoffice_console.hub.cases import CASES_KEY
from backoffice_console.hub.core.access import CASE_WORKERS, allow
from backoffice_console.hub.core.caller import principal_of
from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.http import Raw, id_match, json_reply, read_bytes, wire
from backoffice_console.hub.materials.service import MATERIALS_KEY, MaterialService
from backoffice_console.hub.materials.store import MaterialStore, check_page
from shared.protocol import ErrorCode, Role
from shared.protocol.materials import MaterialList, MaterialStored

_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_COMMAND_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

routes = web.RouteTableDef()


@routes.post("/api/v1/sessions/{session_id}/materials")
@wire(request=Raw("image/jpeg", "image/png"), response=MaterialStored)
@allow(Role.KIOSK)
async def post_material(request: web.Request) -> web.Response:
    """`POST /api/v1/sessions/{session_id}/materials`: see the module docstring."""
    service = request.app[MATERIALS_KEY]
    who = await principal_of(request)
    if not who.is_kiosk:
        raise HubError(ErrorCode.FORBIDDEN, "only kiosks upload materials")
    session_id = request.match_info["session_id"]
    sha256 = request.headers.get("X-Content-SHA256", "").strip().lower()
    if not _SHA_RE.match(sha256):
        raise HubError(ErrorCode.BAD_MESSAGE, "X-Content-SHA256 must be a hex SHA-256")
    command_id = request.headers.get("X-Command-Id") or None
    if command_id is not None and not _COMMAND_RE.match(command_id):
        raise HubError(ErrorCode.BAD_MESSAGE, "X-Command-Id is malformed")
    cs = await service.kiosk_session(session_id, who)  # refuse before reading a large body
    try:
        data = await read_bytes(request, service.max_bytes, "upload")
    except HubError:
        await service.refuse(who, session_id, "too_large")
        raise
    result = await service.upload(session_id, who, data, sha256, command_id, cs=cs)
    return json_reply(
        {"material_id": result.material_id, "page_no": result.page_no,
         "duplicate": result.duplicate},
        status=200 if result.duplicate else 201,
    )  # fmt: skip


@routes.get("/api/v1/sessions/{session_id}/materials")
@wire(request=None, response=MaterialList)
@allow(*CASE_WORKERS)
async def list_materials(request: web.Request) -> web.Response:
    """`GET /api/v1/sessions/{session_id}/materials`: the list, without image data."""
    service = request.app[MATERIALS_KEY]
    who = await principal_of(request)
    session_id = request.match_info["session_id"]
    listed = await service.list_for(session_id, who)
    await request.app[CORE_KEY].audit.write(who, "material.list", session_id, count=len(listed))
    return json_reply(listed)


@routes.get("/api/v1/sessions/{session_id}/materials.pdf")
@wire(request=None, response=Raw("application/pdf"))
@allow(*CASE_WORKERS)
async def get_materials_pdf(request: web.Request) -> web.Response:
    """`GET /api/v1/sessions/{session_id}/materials.pdf`: every page as one PDF (audited)."""
    service = request.app[MATERIALS_KEY]
    who = await principal_of(request)
    pdf = await service.export(request.match_info["session_id"], who)
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": 'attachment; filename="materials.pdf"',
        },
    )


@routes.get("/api/v1/materials/{material_id}")
@wire(request=None, response=Raw("image/jpeg"))
@allow(*CASE_WORKERS)
async def get_material(request: web.Request) -> web.Response:
    """`GET /api/v1/materials/{material_id}`: the full JPEG (audited)."""
    service = request.app[MATERIALS_KEY]
    who = await principal_of(request)
    material_id = id_match(request, "material_id", "material")
    row, jpeg = await service.read(material_id, who)
    return web.Response(
        body=jpeg,
        content_type="image/jpeg",
        headers={"X-Page-No": str(row.page_no), "Cache-Control": "no-store"},
    )


async def _close(app: web.Application) -> None:
    app[MATERIALS_KEY].close()


def setup(app: web.Application) -> None:
    """The material service, its routes, the case checklist's page check, its clean-up."""
    core = app[CORE_KEY]
    config = core.config
    service = MaterialService(
        MaterialStore(core.db, core.vault),
        core.registry,
        core.audit,
        max_pages=config.max_pages_per_session,
        workers=config.image_workers,
        queue=config.image_queue,
    )
    app[MATERIALS_KEY] = service
    app[CASES_KEY].attachments.register("page", check_page)
    app.add_routes(routes)
    app.on_cleanup.append(_close)
