"""Documents over HTTP (all audited, all JSON errors in the API's shape).

- `POST /api/v1/sessions/{id}/documents` (the officer holding the session):
  `{"kind": "receipt" | "slip" | "form", "paper": "A5"}` -> `{"document_id", "sha256", ...}`.
  A character no font has -> 422 `glyph_missing` naming it.
- `GET /api/v1/documents/{id}` metadata (status, signature fields);
  `GET /api/v1/documents/{id}.pdf` and `.../signed.pdf`: the kiosk holding the
  session (device token) or the officer.
- `POST /api/v1/documents/{id}/signature` (kiosk): `{"field", "strokes"}`; the hub
  re-renders the form with the ink in its field and the time, and keeps it.
  No strokes -> 422 `empty_signature`. `POST .../unsigned` `{"reason"}` records
  that the resident could not sign.

Every handler here is wrapped in `refusals`: what the hub refuses to render or
sign answers 422 with its own code (that applies to these routes only).
"""

from __future__ import annotations

import functools

from aiohttp import web
from pydantic import ValidationError

from backoffice_console.hub.calls import CALLS_KEY
from backoffice_console.hub.cases import CASES_KEY
from backoffice_console.hub.catalogue import CATALOGUE_KEY
from backoffice_console.hub.core.access import CASE_WORKERS, allow
from backoffice_console.hub.core.caller import principal_of
from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.http import (
    Handler,
    Raw,
    json_error,
    json_reply,
    read_body,
    validation_message,
    wire,
)
from backoffice_console.hub.documents.service import (
    DOCUMENTS_KEY,
    DocumentService,
    Refused,
    describe,
)
from backoffice_console.hub.documents.store import DocumentStore, check_document
from backoffice_console.hub.identity import IDENTITY_KEY
from backoffice_console.hub.materials import MATERIALS_KEY
from shared.documents import DocumentError, GlyphMissing, PaperSize
from shared.protocol import ErrorCode, Role
from shared.protocol.documents import (
    CreateBody,
    DocumentDetail,
    DocumentReply,
    SignatureBody,
    UnsignedBody,
)

routes = web.RouteTableDef()


def refusals(handler: Handler) -> Handler:
    """422 for documents the hub refuses: a glyph no font has, a signature with no strokes.

    Wraps one document handler (inside the app's error middleware, which answers
    every other failure): `GlyphMissing` -> `glyph_missing`, `Refused` -> its own
    code, any other `DocumentError` or a stored value the document models refuse
    (pydantic `ValidationError`: too long, control characters) -> `document_refused`.
    """

    @functools.wraps(handler)
    async def refusing(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except GlyphMissing as exc:
            return json_error(422, "glyph_missing", str(exc)[:300])
        except Refused as exc:
            return json_error(422, exc.refusal, exc.message)
        except DocumentError as exc:
            return json_error(422, "document_refused", str(exc)[:300])
        except ValidationError as exc:
            return json_error(422, "document_refused", validation_message(exc, "document")[:300])

    return refusing


@routes.post("/api/v1/sessions/{session_id}/documents")
@wire(request=CreateBody, response=DocumentReply)
@refusals
@allow(Role.OFFICER)
async def create_document(request: web.Request) -> web.Response:
    """`POST /api/v1/sessions/{id}/documents`."""
    service = request.app[DOCUMENTS_KEY]
    who = await principal_of(request)
    if who.role is not Role.OFFICER:
        raise HubError(ErrorCode.FORBIDDEN, "officers only")
    session_id = request.match_info["session_id"]
    await service.calls.holder_check(session_id, who)
    body: CreateBody = await read_body(request, CreateBody)
    row = await service.create(session_id, who, body.kind, PaperSize(body.paper))
    return json_reply(describe(row), status=201)


@routes.get("/api/v1/documents/{document_id:[0-9a-f]{32}}.pdf")
@wire(request=None, response=Raw("application/pdf"))
@refusals
@allow(*CASE_WORKERS, Role.KIOSK)
async def document_pdf(request: web.Request) -> web.Response:
    """`GET /api/v1/documents/{id}.pdf` (audited `document.fetch`)."""
    service = request.app[DOCUMENTS_KEY]
    who = await principal_of(request)
    row = await service.get(request.match_info["document_id"], who, "document.fetch")
    return _pdf_response(service.pdf(row), row.sha256)


@routes.get("/api/v1/documents/{document_id:[0-9a-f]{32}}/signed.pdf")
@wire(request=None, response=Raw("application/pdf"))
@refusals
@allow(*CASE_WORKERS, Role.KIOSK)
async def signed_pdf(request: web.Request) -> web.Response:
    """`GET /api/v1/documents/{id}/signed.pdf` (audited `document.fetch_signed`)."""
    service = request.app[DOCUMENTS_KEY]
    who = await principal_of(request)
    row = await service.get(request.match_info["document_id"], who, "document.fetch_signed")
    return _pdf_response(service.pdf(row, signed=True), row.signed_sha256 or "")


@routes.get("/api/v1/documents/{document_id:[0-9a-f]{32}}")
@wire(request=None, response=DocumentDetail)
@refusals
@allow(*CASE_WORKERS, Role.KIOSK)
async def document_info(request: web.Request) -> web.Response:
    """`GET /api/v1/documents/{id}`: metadata and signature fields."""
    service = request.app[DOCUMENTS_KEY]
    who = await principal_of(request)
    row = await service.get(request.match_info["document_id"], who, None)
    return json_reply(describe(row, service.source(row)["fields"]))


@routes.post("/api/v1/documents/{document_id:[0-9a-f]{32}}/signature")
@wire(request=SignatureBody, response=DocumentReply)
@refusals
@allow(Role.KIOSK)
async def post_signature(request: web.Request) -> web.Response:
    """`POST /api/v1/documents/{id}/signature` (the kiosk holding the session)."""
    service = request.app[DOCUMENTS_KEY]
    who = await principal_of(request)
    if who.role is not Role.KIOSK:
        raise HubError(ErrorCode.FORBIDDEN, "the kiosk signs")
    body: SignatureBody = await read_body(request, SignatureBody)
    row = await service.sign(request.match_info["document_id"], who, body)
    return json_reply(describe(row))


@routes.post("/api/v1/documents/{document_id:[0-9a-f]{32}}/unsigned")
@wire(request=UnsignedBody, response=DocumentReply)
@refusals
@allow(Role.KIOSK)
async def post_unsigned(request: web.Request) -> web.Response:
    """`POST /api/v1/documents/{id}/unsigned` (the kiosk: the resident cannot sign)."""
    service = request.app[DOCUMENTS_KEY]
    who = await principal_of(request)
    if who.role is not Role.KIOSK:
        raise HubError(ErrorCode.FORBIDDEN, "the kiosk records this")
    body: UnsignedBody = await read_body(request, UnsignedBody)
    row = await service.unsigned(request.match_info["document_id"], who, body.reason)
    return json_reply(describe(row))


def _pdf_response(pdf: bytes, sha256: str) -> web.Response:
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={"X-Content-SHA256": sha256, "Cache-Control": "no-store"},
    )


def setup(app: web.Application) -> None:
    """The document service, its routes and the case checklist's document check."""
    core = app[CORE_KEY]
    app[DOCUMENTS_KEY] = DocumentService(
        DocumentStore(core.db, core.vault, core.bus),
        db=core.db,
        calls=app[CALLS_KEY].calls,
        catalogue=app[CATALOGUE_KEY],
        identities=app[IDENTITY_KEY],
        materials=app[MATERIALS_KEY],
        audit=core.audit,
    )
    app[CASES_KEY].attachments.register("document", check_document)
    app.add_routes(routes)
