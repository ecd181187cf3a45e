"""Documents of a session, rendered by the hub so every kiosk prints the same thing.

- A document is created by the officer holding the session: a receipt, a
  transmittal slip or a form. The receipt is filled from the session: case
  number, matter, the resident's name and masked ID number from the stored
  identity (409 `bad_state` when no identity was read), the officer's number,
  the service point, the date, the pages received and a QR code of the case
  number. A slip is announced (`SlipIssued`) in the transaction that stores it.
- A document is seen by the kiosk holding the session or the officer (or an
  admin); fetching its PDF is audited.
- A form is signed at the kiosk: the hub re-renders it with the ink in its field
  and the time, and keeps it; or the kiosk records why the resident could not sign.

What the hub refuses to render or sign raises `Refused` (or `shared.documents`'
errors); the document routes answer those with 422.

The case number is that of the session's case (`cases.case_number_of`); a
session without a case (opened before cases existed) falls back to `case_number_for`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from aiohttp import web

from backoffice_console.hub.calls import CallStore
from backoffice_console.hub.cases import case_number_for, case_number_of
from backoffice_console.hub.catalogue import CatalogueStore
from backoffice_console.hub.core.audit import AuditLog
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db import Database, iso, utcnow
from backoffice_console.hub.documents.models import StoredDocument
from backoffice_console.hub.documents.store import DocumentStore
from backoffice_console.hub.identity import IdentityStore
from backoffice_console.hub.materials import MaterialService
from shared.documents import (
    FormDocument,
    FormEntry,
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
from shared.protocol.documents import DocumentKind, SignatureBody

log = logging.getLogger(__name__)

MAX_POINTS = 3000
"""Points in one signature: a pad sends a few hundred; the API body stays under 64 KiB.

(The strokes are bounded by the body model, `shared.protocol.documents.MAX_STROKES`.)
"""


def _t(key: str) -> str:
    return tr("hub_documents", key)


class Refused(HubError):
    """Input the hub understood and refuses (HTTP 422) with its own code (`refusal`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(ErrorCode.BAD_MESSAGE, message)
        self.refusal = code


class DocumentService:
    """Rendering and audited access of session documents (`DOCUMENTS_KEY`)."""

    def __init__(
        self,
        store: DocumentStore,
        *,
        db: Database,
        calls: CallStore,
        catalogue: CatalogueStore,
        identities: IdentityStore,
        materials: MaterialService,
        audit: AuditLog,
    ) -> None:
        self.store = store
        self._db = db
        self.calls = calls
        self.catalogue = catalogue
        self.identities = identities
        self.materials = materials
        self.audit = audit

    async def _session_info(self, session_id: str) -> dict[str, Any]:
        rows = await self.calls.list_sessions(session_id=session_id)
        if not rows:
            raise HubError(ErrorCode.NOT_FOUND, "no such session")
        return rows[0]

    async def _received_pages(self, session_id: str) -> list[Material]:
        """The pages captured at the kiosk and stored in this session, in page order."""
        pages = await self.materials.page_numbers(session_id)
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
        matter = await self.catalogue.matter_name(code) or code or _t("matter.default")
        point = info["point_name"]
        now = utcnow().astimezone()
        if kind == "receipt":
            try:
                stored = await self.identities.latest(session_id, officer, "identity.read")
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
        self.store.need_vault()
        model = await self._model(kind, session_id, officer)
        doc = await asyncio.to_thread(_render, model, paper, None)
        source = {
            "kind": kind,
            "paper": paper.value,
            "model": model.model_dump(mode="json"),
            "fields": [_field_json(f) for f in doc.signature_fields],
        }
        slip = model if isinstance(model, TransmittalSlip) else None
        row = await self.store.add(
            session_id, officer, kind=kind, paper=paper.value, doc=doc, source=source, slip=slip
        )
        log.info("document %s (%s) rendered for a session", row.id, kind)
        return row

    async def get(self, document_id: str, who: Principal, action: str | None) -> StoredDocument:
        """The document if `who` may see it (its session's holder or an admin); audits `action`."""
        row = await self.store.get(document_id)
        if row is None:
            raise HubError(ErrorCode.NOT_FOUND, "no such document")
        if who.role is not Role.ADMIN:
            if who.role not in (Role.OFFICER, Role.KIOSK):
                raise HubError(ErrorCode.FORBIDDEN, "officers and kiosks only")
            await self.calls.holder_check(row.session_id, who)
        self.store.check_key(row)
        if action is not None:
            await self.audit.write(who, action, row.session_id, document_id=row.id)
        return row

    def pdf(self, row: StoredDocument, signed: bool = False) -> bytes:
        """The decrypted PDF (the signed one with `signed`; not_found when there is none)."""
        return self.store.pdf(row, signed)

    def source(self, row: StoredDocument) -> dict[str, Any]:
        """The decrypted source: kind, paper, model and signature fields."""
        return self.store.source(row)

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
            raise Refused("empty_signature", "the signature has no strokes: please sign again")
        if points > MAX_POINTS:
            raise HubError(ErrorCode.TOO_LARGE, f"a signature holds at most {MAX_POINTS} points")
        source = self.store.source(row)
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
        stored = await self.store.sign(
            row,
            kiosk,
            field=body.field,
            strokes=len(strokes),
            points=points,
            doc=doc,
            signed_at=signed_at,
        )
        log.info("document %s signed (%d strokes)", row.id, len(strokes))
        return stored

    async def unsigned(self, document_id: str, kiosk: Principal, reason: str) -> StoredDocument:
        """Record that the resident could not sign, and why; audits `document.unsigned`."""
        row = await self.get(document_id, kiosk, None)
        if row.kind != "form":
            raise HubError(ErrorCode.BAD_STATE, "only forms are signed")
        return await self.store.unsigned(row, kiosk, reason)

    async def for_session(self, session_id: str) -> list[StoredDocument]:
        """The session's documents, oldest first."""
        return await self.store.for_session(session_id)


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
        "signed_at": iso(row.signed_at),
        "signed_sha256": row.signed_sha256,
        "unsigned_reason": row.unsigned_reason,
    }
    if fields is not None:
        data["signature_fields"] = fields
    return data


DOCUMENTS_KEY = web.AppKey("documents", DocumentService)
