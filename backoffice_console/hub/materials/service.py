"""Materials at the hub: pages uploaded by kiosks, validated, stored encrypted, told to consoles.

- An upload comes from the session's own kiosk, also after the call ended (a page
  captured in the call may arrive late, after a network or hub outage) up to
  `LATE_DELIVERY`. `X-Content-SHA256` (hex digest of the body) is the idempotency
  key: a repeat of the same digest returns the same material id and stores
  nothing. New pages are audited (`material.store`) and announced to the
  session's console (`material.added` with a thumbnail); refusals are audited
  (`material.refused`) with their reason and store nothing.
- Reading a page (the session's officer, or an admin) is audited (`material.read`);
  so is exporting all of them as one PDF (`material.export`).

Images are encrypted with the hub's personal-data vault (`core.vault`, AES-256-GCM,
the session id as associated data): the same key and rules as identities.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from backoffice_console.hub.calls import CallSession
from backoffice_console.hub.cases import case_number_for
from backoffice_console.hub.core.audit import AuditLog
from backoffice_console.hub.core.connections import Registry, send_all
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db import utcnow
from backoffice_console.hub.materials.export import render_materials_pdf
from backoffice_console.hub.materials.images import (
    MAX_UPLOAD_BYTES,
    InvalidImage,
    check_page_image,
)
from backoffice_console.hub.materials.models import StoredMaterial
from backoffice_console.hub.materials.store import MaterialStore, StoreResult
from shared.protocol import ErrorCode, MaterialAdded

log = logging.getLogger(__name__)

LATE_DELIVERY = dt.timedelta(hours=72)
"""How long after a call its kiosk may still deliver pages captured in it."""


class MaterialService:
    """Storage and delivery of materials; one per hub application (`MATERIALS_KEY`)."""

    def __init__(
        self,
        store: MaterialStore,
        registry: Registry,
        audit: AuditLog,
        max_bytes: int = MAX_UPLOAD_BYTES,
        *,
        max_pages: int = 200,
        workers: int = 1,
        queue: int = 8,
    ) -> None:
        self.store = store
        self.registry = registry
        self.audit = audit
        self.max_bytes = max_bytes
        self.max_pages = max_pages
        # Decoding is CPU-bound: few workers keep a burst of uploads from starving the loop,
        # and the slots bound what waits for them (each waiting upload holds its bytes):
        # past them the hub answers rate_limited and the kiosk's outbox tries again later.
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vw-hub-images")
        self._slots = asyncio.Semaphore(workers + queue)

    def close(self) -> None:
        """Stop the image worker."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def kiosk_session(self, session_id: str, kiosk: Principal) -> CallSession:
        """The session, if `kiosk` holds it and may still deliver pages to it."""
        cs = await self.store.session(session_id)
        if cs is None or not kiosk.is_kiosk or cs.kiosk_id != kiosk.subject_id:
            raise HubError(ErrorCode.NOT_IN_SESSION, "this kiosk does not hold that session")
        if cs.ended_at is not None and utcnow() - cs.ended_at > LATE_DELIVERY:
            raise HubError(ErrorCode.NOT_IN_SESSION, "that session ended too long ago")
        return cs

    async def refuse(self, kiosk: Principal, session_id: str, reason: str) -> None:
        """Audit a refused upload (nothing stored)."""
        await self.audit.write(kiosk, "material.refused", session_id, reason=reason)

    async def upload(
        self,
        session_id: str,
        kiosk: Principal,
        data: bytes,
        sha256: str,
        command_id: str | None,
        *,
        cs: CallSession | None = None,
    ) -> StoreResult:
        """Validate and store one page; idempotent on `sha256`. Raises `HubError`.

        `cs` is the session when the caller has just checked it (`kiosk_session`).
        """
        if cs is None:
            cs = await self.kiosk_session(session_id, kiosk)
        if hashlib.sha256(data).hexdigest() != sha256:
            await self.refuse(kiosk, session_id, "digest_mismatch")
            raise HubError(ErrorCode.INVALID_IMAGE, "the body does not match X-Content-SHA256")
        self.store.need_vault()  # no key, no image work
        full = await self.store.page_count(session_id) >= self.max_pages
        if full and await self.store.existing(session_id, sha256) is None:
            await self.refuse(kiosk, session_id, "too_many_pages")
            raise HubError(
                ErrorCode.INVALID_IMAGE, f"too_many_pages: a session holds {self.max_pages}"
            )
        if self._slots.locked():
            await self.refuse(kiosk, session_id, "busy")
            raise HubError(ErrorCode.RATE_LIMITED, "the hub is busy with pages; try again soon")
        loop = asyncio.get_running_loop()
        # The image work comes first and the duplicate look-up inside the storing
        # transaction: a page arrives twice only after a lost reply, so the rare wasted
        # check costs less than a database round trip competing with every new page's.
        try:
            async with self._slots:
                page = await loop.run_in_executor(
                    self._executor, check_page_image, data, self.max_bytes
                )
        except InvalidImage as exc:
            await self.refuse(kiosk, session_id, exc.reason)
            raise HubError(ErrorCode.INVALID_IMAGE, f"{exc.reason}: {exc.detail}") from None
        try:
            result = await self.store.add(
                cs,
                kiosk,
                sha256=sha256,
                command_id=command_id,
                page=page,
                uploaded_bytes=len(data),
                max_pages=self.max_pages,
            )
        except IntegrityError:
            # The same page arrived twice at once: the other request stored it.
            again = await self.store.existing(session_id, sha256)
            if again is None:
                raise
            return again
        if result.duplicate:
            return result
        added = MaterialAdded(
            session_id=session_id,
            material_id=result.material_id,
            page_no=result.page_no,
            sha256=sha256,
            width=page.width,
            height=page.height,
            size_bytes=len(page.jpeg),
            command_id=command_id,
            thumbnail_jpeg_b64=page.thumbnail_b64,
        )
        await send_all(self.registry.console_for(session_id, cs.officer_id), added)
        log.info("material %d stored (page %d)", result.material_id, result.page_no)
        return result

    async def read(self, material_id: int, who: Principal) -> tuple[StoredMaterial, bytes]:
        """The full JPEG of a material, decrypted; audits `material.read`."""
        return await self.store.read(material_id, who)

    async def list_for(self, session_id: str, who: Principal) -> list[dict[str, Any]]:
        """The session's materials (no image data) for its officer or an admin."""
        return await self.store.list_for(session_id, who)

    async def export(self, session_id: str, who: Principal) -> bytes:
        """All pages of the session as one PDF, for its officer or an admin; audits the export."""
        found = await self.store.export_set(session_id, who)
        loop = asyncio.get_running_loop()
        pdf = await loop.run_in_executor(
            self._executor,
            render_materials_pdf,
            found.pages,
            case_number_for(session_id, found.started_at),
            session_id,
        )
        # Audited once the PDF exists: a failed render hands nothing out.
        await self.audit.write(
            who,
            "material.export",
            session_id,
            pages=len(found.pages),
            material_ids=found.material_ids,
        )
        log.info("materials of a session exported (%d pages)", len(found.pages))
        return pdf

    async def page_numbers(self, session_id: str) -> list[int]:
        """The numbers of the pages stored in the session, in order (for a receipt)."""
        return await self.store.page_numbers(session_id)


MATERIALS_KEY = web.AppKey("materials", MaterialService)
