"""Documents in the database: encrypted rows, their audit rows and timeline events.

PDFs and their source models are stored AES-GCM encrypted with the identity vault
(`core.vault`: they name the resident), bound to the session id.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.cases import Case, record_event
from backoffice_console.hub.core.audit import audit_entry
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.events import EventBus
from backoffice_console.hub.core.http import dumps
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.core.vault import IdentityVault, require_vault
from backoffice_console.hub.db import Database
from backoffice_console.hub.documents.events import SlipIssued
from backoffice_console.hub.documents.models import StoredDocument
from shared.documents import RenderedDocument, TransmittalSlip
from shared.protocol import ErrorCode


async def check_document(s: AsyncSession, case: Case, ref: str) -> None:
    """The case checklist's check of a `document` reference: a document of the case's session."""
    owner = await s.scalar(select(StoredDocument.session_id).where(StoredDocument.id == ref))
    if owner != case.session_id:
        raise HubError(ErrorCode.BAD_MESSAGE, "no such document in this case's session")


class DocumentStore:
    """Encrypted document rows plus their audit trail."""

    def __init__(self, db: Database, vault: IdentityVault | None, bus: EventBus) -> None:
        self._db = db
        self._vault = vault
        # Publishes SlipIssued in `add`'s transaction (circulation opens the slip's circulation).
        self._bus = bus

    def need_vault(self) -> IdentityVault:
        """The identity vault; HubError bad_state when the hub has none."""
        return require_vault(self._vault)

    async def add(
        self,
        session_id: str,
        officer: Principal,
        *,
        kind: str,
        paper: str,
        doc: RenderedDocument,
        source: dict[str, Any],
        slip: TransmittalSlip | None,
    ) -> StoredDocument:
        """Encrypt and store a rendered document and its source; audits `document.create`.

        A transmittal `slip` is announced (`SlipIssued`) in the same transaction.
        """
        vault = self.need_vault()
        nonce, ciphertext = vault.seal(session_id, doc.pdf)
        source_nonce, source_ciphertext = vault.seal(session_id, dumps(source).encode())
        row = StoredDocument(
            id=secrets.token_hex(16),
            session_id=session_id,
            kind=kind,
            title=doc.title[:200],
            paper=paper,
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
            if slip is not None:  # its QR code carries the circulation code
                await self._bus.publish(
                    SlipIssued(
                        s,
                        session_id,
                        code=slip.slip_number,
                        case_no=slip.case_number,
                        items=[item.model_dump(mode="json") for item in slip.items],
                        location=slip.service_point,
                    )
                )
        return row

    async def get(self, document_id: str) -> StoredDocument | None:
        """The document row, if there is one."""
        async with self._db.session() as s:
            return await s.get(StoredDocument, document_id)

    def check_key(self, row: StoredDocument) -> None:
        """HubError internal unless the row was sealed with this hub's key."""
        if row.key_id != self.need_vault().key_id:
            raise HubError(ErrorCode.INTERNAL, "document stored under another key")

    def pdf(self, row: StoredDocument, signed: bool = False) -> bytes:
        """The decrypted PDF (the signed one with `signed`; not_found when there is none)."""
        vault = self.need_vault()
        if signed:
            if row.signed_nonce is None or row.signed_ciphertext is None:
                raise HubError(ErrorCode.NOT_FOUND, "this document has not been signed")
            return vault.open(row.session_id, row.signed_nonce, row.signed_ciphertext)
        return vault.open(row.session_id, row.nonce, row.ciphertext)

    def source(self, row: StoredDocument) -> dict[str, Any]:
        """The decrypted source: kind, paper, model and signature fields."""
        plain = self.need_vault().open(row.session_id, row.source_nonce, row.source_ciphertext)
        return dict(json.loads(plain))

    async def sign(
        self,
        row: StoredDocument,
        kiosk: Principal,
        *,
        field: str,
        strokes: int,
        points: int,
        doc: RenderedDocument,
        signed_at: dt.datetime,
    ) -> StoredDocument:
        """Keep the signed PDF of the form `row` (conflict when signed meanwhile).

        Audits `document.sign` and adds `document.signed` to the case's timeline.
        """
        nonce, ciphertext = self.need_vault().seal(row.session_id, doc.pdf)
        async with self._db.session() as s, s.begin():
            stored = await s.get(StoredDocument, row.id)
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
                    field=field,
                    strokes=strokes,
                    points=points,
                )
            )
            await record_event(s, row.session_id, "document.signed", kiosk, document_id=row.id)
        return stored

    async def unsigned(self, row: StoredDocument, kiosk: Principal, reason: str) -> StoredDocument:
        """Record why the resident could not sign the form `row`; audits `document.unsigned`."""
        async with self._db.session() as s, s.begin():
            stored = await s.get(StoredDocument, row.id)
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
