"""Documents of a session, rendered by the hub so every kiosk prints the same thing.

HTTP API (all audited, all JSON errors in the API's shape):

- `POST /api/v1/sessions/{id}/documents` (the officer holding the session):
  `{"kind": "receipt" | "slip" | "form", "paper": "A5"}` -> `{"document_id", "sha256", ...}`.
  The receipt is filled from the session: case number, matter, the resident's
  name and masked ID number from the stored identity (409 `bad_state` when no
  identity was read), the officer's number, the service point, the date and a QR
  code of the case number. A character no font has -> 422 `glyph_missing`
  naming it.
- `GET /api/v1/documents/{id}` metadata (status, signature fields);
  `GET /api/v1/documents/{id}.pdf` and `.../signed.pdf`: the kiosk holding the
  session (device token) or the officer.
- `POST /api/v1/documents/{id}/signature` (kiosk): `{"field", "strokes"}`; the hub
  re-renders the form with the ink in its field and the time, and keeps it.
  No strokes -> 422 `empty_signature`. `POST .../unsigned` `{"reason"}` records
  that the resident could not sign.

The case number is that of the session's case (`case_store.case_number_of`); a
session without a case (opened before cases existed) falls back to `case_number_for`.
PDFs and their source models are stored AES-GCM encrypted with the identity vault
(they name the resident), bound to the session id.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import json
import logging
import secrets
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select

from backoffice_console.hub.accounts import Principal
from backoffice_console.hub.api import json_error, principal_of, read_body
from backoffice_console.hub.calls import audit_entry
from backoffice_console.hub.case_store import case_number_of, record_event
from backoffice_console.hub.circulation import open_for_slip
from backoffice_console.hub.db import Database, StoredDocument, StoredMaterial, utcnow
from backoffice_console.hub.errors import HubError
from backoffice_console.hub.identity import IdentityVault
from backoffice_console.hub.services import HUB_KEY, Hub
from shared.documents import (
    DocumentError,
    FormDocument,
    FormEntry,
    GlyphMissing,
    Material,
    PaperSize,
    Receipt,
    RenderedDocument,
    RenderOptions,
    SignatureInk,
    SignatureSpec,
    SlipItem,
    TransmittalSlip,
    render_form,
    render_receipt,
    render_slip,
)
from shared.i18n import tr
from shared.protocol import ErrorCode, Role

log = logging.getLogger(__name__)

_dumps = functools.partial(json.dumps, ensure_ascii=False)

MAX_STROKES = 200
MAX_POINTS = 3000
"""Points in one signature: a pad sends a few hundred; the API body stays under 64 KiB."""

DocumentKind = Literal["receipt", "slip", "form"]


def _t(key: str) -> str:
    return tr("hub_documents", key)


def case_number_for(session_id: str, started_at: dt.datetime) -> str:
    """A stable case number for a session (date + digest), until cases have their own."""
    digest = hashlib.sha256(session_id.encode()).hexdigest()[:6].upper()
    return f"SL{started_at.astimezone():%Y%m%d}-{digest}"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateBody(_Body):
    """`POST /api/v1/sessions/{id}/documents`."""

    kind: DocumentKind
    paper: Literal["A4", "A5"] = "A5"


Point = tuple[Annotated[float, Field(ge=0.0, le=1.0)], Annotated[float, Field(ge=0.0, le=1.0)]]


class SignatureBody(_Body):
    """`POST /api/v1/documents/{id}/signature`: strokes in pad coordinates 0..1, y down."""

    field: str = Field(default="applicant", pattern=r"^[a-z][a-z0-9_]{0,31}$")
    strokes: list[list[Point]] = Field(max_length=MAX_STROKES)


class UnsignedBody(_Body):
    """`POST /api/v1/documents/{id}/unsigned`: why the resident could not sign."""

    reason: str = Field(min_length=1, max_length=200)


class DocumentStore:
    """Rendering, encrypted storage and audited access of session documents."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._db: Database = hub.db

    def _vault(self) -> IdentityVault:
        vault = self._hub.identities.vault
        if vault is None:
            raise HubError(ErrorCode.BAD_STATE, "this hub has no identity key configured")
        return vault

    async def _session_info(self, session_id: str) -> dict[str, Any]:
        rows = await self._hub.calls.list_sessions(session_id=session_id)
        if not rows:
            raise HubError(ErrorCode.NOT_FOUND, "no such session")
        return rows[0]

    async def _received_pages(self, session_id: str) -> list[Material]:
        """The pages captured at the kiosk and stored in this session, in page order."""
        async with self._db.session() as s:
            pages = await s.scalars(
                select(StoredMaterial.page_no)
                .where(StoredMaterial.session_id == session_id)
                .order_by(StoredMaterial.page_no)
            )
            return [Material(name=_t("receipt.page").format(page=n)) for n in pages]

    async def _model(
        self, kind: DocumentKind, session_id: str, officer: Principal
    ) -> Receipt | TransmittalSlip | FormDocument:
        info = await self._session_info(session_id)
        started = dt.datetime.fromisoformat(info["started_at"])
        case_number = await case_number_of(self._db, session_id) or case_number_for(
            session_id, started
        )
        code = (info.get("matter") or "").strip() or None
        matter = await self._hub.catalogue.matter_name(code) or code or _t("matter.default")
        point = info["point_name"]
        now = utcnow().astimezone()
        if kind == "receipt":
            try:
                stored = await self._hub.identities.latest(session_id, officer, "identity.read")
            except HubError as exc:
                if exc.code is ErrorCode.NOT_FOUND:
                    raise HubError(
                        ErrorCode.BAD_STATE,
                        "no identity in this session: read the resident's ID card first",
                    ) from None
                raise
            return Receipt(
                case_number=case_number,
                matter=matter,
                resident_name=stored.record.name,
                id_number=stored.record.id_number,
                officer_number=f"{officer.subject_id:06d}",
                service_point=point,
                accepted_at=now,
                materials=await self._received_pages(session_id),
                next_steps=_t("receipt.next_steps"),
                progress_hint=_t("receipt.progress_hint"),
            )
        if kind == "slip":
            return TransmittalSlip(
                slip_number=f"LZ-{case_number}",
                case_number=case_number,
                matter=matter,
                service_point=point,
                destination=_t("slip.destination"),
                handed_over_by=point[:40],
                created_at=now,
                items=[SlipItem(code=f"{case_number}-01", name=_t("slip.item"))],
            )
        return FormDocument(
            form_id=f"QR-{case_number}",
            title=_t("form.title"),
            case_number=case_number,
            entries=[
                FormEntry(label=_t("form.matter"), value=matter),
                FormEntry(label=_t("form.service_point"), value=point),
                FormEntry(label=_t("form.officer"), value=officer.display_name[:200]),
            ],
            paragraphs=[_t("form.paragraph")],
            signatures=[SignatureSpec(name="applicant", label=_t("form.applicant"))],
        )

    async def create(
        self, session_id: str, officer: Principal, kind: DocumentKind, paper: PaperSize
    ) -> StoredDocument:
        """Render and store a document of `kind` for the session; audits `document.create`."""
        vault = self._vault()
        model = await self._model(kind, session_id, officer)
        doc = await asyncio.to_thread(_render, model, paper, None)
        source = {
            "kind": kind,
            "paper": paper.value,
            "model": model.model_dump(mode="json"),
            "fields": [_field_json(f) for f in doc.signature_fields],
        }
        nonce, ciphertext = vault.seal(session_id, doc.pdf)
        source_nonce, source_ciphertext = vault.seal(session_id, _dumps(source).encode())
        row = StoredDocument(
            id=secrets.token_hex(16),
            session_id=session_id,
            kind=kind,
            title=doc.title[:200],
            paper=paper.value,
            pages=doc.pages,
            sha256=doc.sha256,
            created_by=officer.subject_id,
            key_id=vault.key_id,
            nonce=nonce,
            ciphertext=ciphertext,
            source_nonce=source_nonce,
            source_ciphertext=source_ciphertext,
        )
        async with self._db.session() as s, s.begin():
            s.add(row)
            s.add(
                audit_entry(officer, "document.create", session_id, document_id=row.id, kind=kind)
            )
            if isinstance(model, TransmittalSlip):  # its QR code carries the circulation code
                await open_for_slip(
                    s, session_id, code=model.slip_number, case_no=model.case_number,
                    items=[item.model_dump(mode="json") for item in model.items],
                    location=model.service_point,
                )  # fmt: skip
        log.info("document %s (%s) rendered for a session", row.id, kind)
        return row

    async def get(self, document_id: str, who: Principal, action: str | None) -> StoredDocument:
        """The document if `who` may see it (its session's holder or an admin); audits `action`."""
        async with self._db.session() as s:
            row = await s.get(StoredDocument, document_id)
        if row is None:
            raise HubError(ErrorCode.NOT_FOUND, "no such document")
        if who.role is not Role.ADMIN:
            if who.role not in (Role.OFFICER, Role.KIOSK):
                raise HubError(ErrorCode.FORBIDDEN, "officers and kiosks only")
            await self._hub.calls.holder_check(row.session_id, who)
        if row.key_id != self._vault().key_id:
            raise HubError(ErrorCode.INTERNAL, "document stored under another key")
        if action is not None:
            await self._hub.calls.audit(who, action, row.session_id, document_id=row.id)
        return row

    def pdf(self, row: StoredDocument, signed: bool = False) -> bytes:
        """The decrypted PDF (the signed one with `signed`; not_found when there is none)."""
        vault = self._vault()
        if signed:
            if row.signed_nonce is None or row.signed_ciphertext is None:
                raise HubError(ErrorCode.NOT_FOUND, "this document has not been signed")
            return vault.open(row.session_id, row.signed_nonce, row.signed_ciphertext)
        return vault.open(row.session_id, row.nonce, row.ciphertext)

    def source(self, row: StoredDocument) -> dict[str, Any]:
        """The decrypted source: kind, paper, model and signature fields."""
        plain = self._vault().open(row.session_id, row.source_nonce, row.source_ciphertext)
        return dict(json.loads(plain))

    async def sign(self, document_id: str, kiosk: Principal, body: SignatureBody) -> StoredDocument:
        """Place the signature into the form and keep the signed PDF; audits `document.sign`."""
        row = await self.get(document_id, kiosk, None)
        if row.kind != "form":
            raise HubError(ErrorCode.BAD_STATE, "only forms are signed")
        if row.signed_at is not None:
            raise HubError(ErrorCode.CONFLICT, "this form is already signed")
        strokes = [s for s in body.strokes if s]
        points = sum(len(s) for s in strokes)
        if not strokes:
            raise _Refused("empty_signature", "the signature has no strokes: please sign again")
        if points > MAX_POINTS:
            raise HubError(ErrorCode.TOO_LARGE, f"a signature holds at most {MAX_POINTS} points")
        source = self.source(row)
        names = [f["name"] for f in source["fields"]]
        if body.field not in names:
            raise HubError(ErrorCode.BAD_MESSAGE, f"no signature field {body.field!r}")
        form = FormDocument.model_validate(source["model"])
        signed_at = utcnow()
        ink = SignatureInk(
            tuple(tuple((float(x), float(y)) for x, y in s) for s in strokes),
            signed_at.astimezone(),
        )
        doc = await asyncio.to_thread(_render, form, PaperSize(row.paper), {body.field: ink})
        vault = self._vault()
        nonce, ciphertext = vault.seal(row.session_id, doc.pdf)
        async with self._db.session() as s, s.begin():
            stored = await s.get(StoredDocument, document_id)
            assert stored is not None
            if stored.signed_at is not None:
                raise HubError(ErrorCode.CONFLICT, "this form is already signed")
            stored.signed_at = signed_at
            stored.signed_sha256 = doc.sha256
            stored.signed_nonce, stored.signed_ciphertext = nonce, ciphertext
            stored.unsigned_reason = None
            s.add(
                audit_entry(
                    kiosk,
                    "document.sign",
                    row.session_id,
                    document_id=row.id,
                    field=body.field,
                    strokes=len(strokes),
                    points=points,
                )
            )
            await record_event(s, row.session_id, "document.signed", kiosk, document_id=row.id)
        log.info("document %s signed (%d strokes)", row.id, len(strokes))
        return stored

    async def unsigned(self, document_id: str, kiosk: Principal, reason: str) -> StoredDocument:
        """Record that the resident could not sign, and why; audits `document.unsigned`."""
        row = await self.get(document_id, kiosk, None)
        if row.kind != "form":
            raise HubError(ErrorCode.BAD_STATE, "only forms are signed")
        async with self._db.session() as s, s.begin():
            stored = await s.get(StoredDocument, document_id)
            assert stored is not None
            if stored.signed_at is not None:
                raise HubError(ErrorCode.CONFLICT, "this form is already signed")
            stored.unsigned_reason = reason.strip()[:200]
            s.add(audit_entry(kiosk, "document.unsigned", row.session_id, document_id=row.id))
        return stored

    async def for_session(self, session_id: str) -> list[StoredDocument]:
        """The session's documents, oldest first."""
        async with self._db.session() as s:
            rows = await s.scalars(
                select(StoredDocument)
                .where(StoredDocument.session_id == session_id)
                .order_by(StoredDocument.created_at)
            )
            return list(rows)


class _Refused(HubError):
    """Input the hub understood and refuses (HTTP 422) with its own code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(ErrorCode.BAD_MESSAGE, message)
        self.refusal = code


def _render(
    model: Receipt | TransmittalSlip | FormDocument,
    paper: PaperSize,
    ink: dict[str, SignatureInk] | None,
) -> RenderedDocument:
    options = RenderOptions(paper=paper)
    if isinstance(model, Receipt):
        return render_receipt(model, options)
    if isinstance(model, TransmittalSlip):
        return render_slip(model, options)
    return render_form(model, options, signatures=ink)


def _field_json(field: Any) -> dict[str, Any]:
    return {
        "name": field.name,
        "label": field.label,
        "page": field.page,
        "box": [field.x, field.y, field.width, field.height],
    }


def describe(row: StoredDocument, fields: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What the API says about a document (nothing personal beyond what its holder may see)."""
    if row.signed_at is not None:
        status = "signed"
    elif row.unsigned_reason is not None:
        status = "unsigned"
    else:
        status = "issued"
    data: dict[str, Any] = {
        "document_id": row.id,
        "session_id": row.session_id,
        "kind": row.kind,
        "title": row.title,
        "paper": row.paper,
        "pages": row.pages,
        "sha256": row.sha256,
        "status": status,
        "signed_at": row.signed_at.isoformat() if row.signed_at else None,
        "signed_sha256": row.signed_sha256,
        "unsigned_reason": row.unsigned_reason,
    }
    if fields is not None:
        data["signature_fields"] = fields
    return data


def _store(request: web.Request) -> DocumentStore:
    return DocumentStore(request.app[HUB_KEY])


@web.middleware
async def refusal_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """422 for documents the hub refuses: a glyph no font has, a signature with no strokes."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except GlyphMissing as exc:
        return json_error(422, "glyph_missing", str(exc)[:300])
    except _Refused as exc:
        return json_error(422, exc.refusal, exc.message)
    except DocumentError as exc:
        return json_error(422, "document_refused", str(exc)[:300])
    except ValidationError as exc:
        # A stored value the document models refuse (too long, control characters).
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        return json_error(422, "document_refused", f"{where}: {first['msg']}"[:300])


async def create_document(request: web.Request) -> web.Response:
    """`POST /api/v1/sessions/{id}/documents`."""
    hub = request.app[HUB_KEY]
    who = await principal_of(request, hub)
    if who.role is not Role.OFFICER:
        raise HubError(ErrorCode.FORBIDDEN, "officers only")
    session_id = request.match_info["session_id"]
    await hub.calls.holder_check(session_id, who)
    body: CreateBody = await read_body(request, CreateBody)
    row = await _store(request).create(session_id, who, body.kind, PaperSize(body.paper))
    return web.json_response(dumps=_dumps, data=describe(row), status=201)


async def document_info(request: web.Request) -> web.Response:
    """`GET /api/v1/documents/{id}`: metadata and signature fields."""
    hub = request.app[HUB_KEY]
    who = await principal_of(request, hub)
    store = _store(request)
    row = await store.get(request.match_info["document_id"], who, None)
    return web.json_response(dumps=_dumps, data=describe(row, store.source(row)["fields"]))


async def document_pdf(request: web.Request) -> web.Response:
    """`GET /api/v1/documents/{id}.pdf` (audited `document.fetch`)."""
    hub = request.app[HUB_KEY]
    who = await principal_of(request, hub)
    store = _store(request)
    row = await store.get(request.match_info["document_id"], who, "document.fetch")
    return _pdf_response(store.pdf(row), row.sha256)


async def signed_pdf(request: web.Request) -> web.Response:
    """`GET /api/v1/documents/{id}/signed.pdf` (audited `document.fetch_signed`)."""
    hub = request.app[HUB_KEY]
    who = await principal_of(request, hub)
    store = _store(request)
    row = await store.get(request.match_info["document_id"], who, "document.fetch_signed")
    return _pdf_response(store.pdf(row, signed=True), row.signed_sha256 or "")


async def post_signature(request: web.Request) -> web.Response:
    """`POST /api/v1/documents/{id}/signature` (the kiosk holding the session)."""
    hub = request.app[HUB_KEY]
    who = await principal_of(request, hub)
    if who.role is not Role.KIOSK:
        raise HubError(ErrorCode.FORBIDDEN, "the kiosk signs")
    body: SignatureBody = await read_body(request, SignatureBody)
    row = await _store(request).sign(request.match_info["document_id"], who, body)
    return web.json_response(dumps=_dumps, data=describe(row))


async def post_unsigned(request: web.Request) -> web.Response:
    """`POST /api/v1/documents/{id}/unsigned` (the kiosk: the resident cannot sign)."""
    hub = request.app[HUB_KEY]
    who = await principal_of(request, hub)
    if who.role is not Role.KIOSK:
        raise HubError(ErrorCode.FORBIDDEN, "the kiosk records this")
    body: UnsignedBody = await read_body(request, UnsignedBody)
    row = await _store(request).unsigned(request.match_info["document_id"], who, body.reason)
    return web.json_response(dumps=_dumps, data=describe(row))


def _pdf_response(pdf: bytes, sha256: str) -> web.Response:
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={"X-Content-SHA256": sha256, "Cache-Control": "no-store"},
    )


def add_routes(app: web.Application) -> None:
    """Register the document routes and their 422 middleware."""
    app.middlewares.append(refusal_middleware)
    app.router.add_post("/api/v1/sessions/{session_id}/documents", create_document)
    app.router.add_get("/api/v1/documents/{document_id:[0-9a-f]{32}}.pdf", document_pdf)
    app.router.add_get("/api/v1/documents/{document_id:[0-9a-f]{32}}/signed.pdf", signed_pdf)
    app.router.add_get("/api/v1/documents/{document_id:[0-9a-f]{32}}", document_info)
    app.router.add_post("/api/v1/documents/{document_id:[0-9a-f]{32}}/signature", post_signature)
    app.router.add_post("/api/v1/documents/{document_id:[0-9a-f]{32}}/unsigned", post_unsigned)
