"""Materials at the hub: pages uploaded by kiosks, validated, stored encrypted, told to consoles.

- `POST /api/v1/sessions/{session_id}/materials` (kiosk token): the raw JPEG/PNG
  bytes, `X-Content-SHA256` (hex digest of the body, the idempotency key) and
  optionally `X-Command-Id` (the `page.capture` command it answers). Only the
  session's own kiosk may upload, also after the call ended (a page captured in
  the call may arrive late, after a network or hub outage) up to
  `LATE_DELIVERY`. A repeat of the same digest returns the same material id and
  stores nothing. New pages are audited (`material.store`) and announced to the
  session's console (`material.added` with a thumbnail); refusals are audited
  (`material.refused`) with their reason and store nothing.
- `GET /api/v1/materials/{id}` (the session's officer, or an admin): the full
  image as JPEG; audited (`material.read`).
- `GET /api/v1/sessions/{session_id}/materials`: the list (no image data).

Images are encrypted with the hub's personal-data vault (`hub.identities.vault`,
AES-256-GCM, the session id as associated data): the same key and rules as
identities.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backoffice_console.hub.accounts import Principal
from backoffice_console.hub.api import principal_of
from backoffice_console.hub.calls import audit_entry
from backoffice_console.hub.case_store import record_event
from backoffice_console.hub.db import CallSession, StoredMaterial, utcnow
from backoffice_console.hub.errors import HubError
from backoffice_console.hub.identity import IdentityVault
from backoffice_console.hub.material_images import (
    MAX_UPLOAD_BYTES,
    CheckedPage,
    InvalidImage,
    check_page_image,
)
from backoffice_console.hub.registry import send_all
from backoffice_console.hub.services import HUB_KEY, Hub
from shared.protocol import ErrorCode, MaterialAdded, Role

log = logging.getLogger(__name__)

LATE_DELIVERY = dt.timedelta(hours=72)
"""How long after a call its kiosk may still deliver pages captured in it."""

_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_COMMAND_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True)
class StoreResult:
    """What an upload produced: the material (new or the earlier one with the same hash)."""

    material_id: int
    page_no: int
    duplicate: bool


async def session_for_reader(s: Any, session_id: str, who: Principal) -> CallSession:
    """The session, if `who` may read its materials: its officer, or an admin.

    Raises HubError not_found (no such session) or forbidden.
    """
    cs = await s.get(CallSession, session_id)
    if cs is None:
        raise HubError(ErrorCode.NOT_FOUND, "no such session")
    if who.role is Role.ADMIN or (who.role is Role.OFFICER and cs.officer_id == who.subject_id):
        return cs
    raise HubError(ErrorCode.FORBIDDEN, "only the session's officer or an admin")


class MaterialService:
    """Storage and delivery of materials; one per hub application (`MATERIALS_KEY`)."""

    def __init__(self, hub: Hub, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
        self.hub = hub
        self.max_bytes = max_bytes
        # Decoding is CPU-bound: one worker keeps a burst of uploads from starving the loop.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vw-hub-images")

    def close(self) -> None:
        """Stop the image worker."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _vault(self) -> IdentityVault:
        vault = self.hub.identities.vault
        if vault is None:
            raise HubError(ErrorCode.BAD_STATE, "this hub has no personal-data key configured")
        return vault

    async def _kiosk_session(self, session_id: str, kiosk: Principal) -> CallSession:
        async with self.hub.db.session() as s:
            cs = await s.get(CallSession, session_id)
        if cs is None or not kiosk.is_kiosk or cs.kiosk_id != kiosk.subject_id:
            raise HubError(ErrorCode.NOT_IN_SESSION, "this kiosk does not hold that session")
        if cs.ended_at is not None and utcnow() - cs.ended_at > LATE_DELIVERY:
            raise HubError(ErrorCode.NOT_IN_SESSION, "that session ended too long ago")
        return cs

    async def _existing(self, session_id: str, sha256: str) -> StoreResult | None:
        async with self.hub.db.session() as s:
            return await self._earlier(s, session_id, sha256)

    @staticmethod
    async def _earlier(s: Any, session_id: str, sha256: str) -> StoreResult | None:
        """The material already stored with this digest in the session, if any."""
        row = (
            await s.execute(
                select(StoredMaterial.id, StoredMaterial.page_no).where(
                    StoredMaterial.session_id == session_id, StoredMaterial.sha256 == sha256
                )
            )
        ).first()
        return None if row is None else StoreResult(row.id, row.page_no, True)

    async def refuse(self, kiosk: Principal, session_id: str, reason: str) -> None:
        """Audit a refused upload (nothing stored)."""
        await self.hub.calls.audit(kiosk, "material.refused", session_id, reason=reason)

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

        `cs` is the session when the caller has just checked it (`_kiosk_session`).
        """
        if cs is None:
            cs = await self._kiosk_session(session_id, kiosk)
        if hashlib.sha256(data).hexdigest() != sha256:
            await self.refuse(kiosk, session_id, "digest_mismatch")
            raise HubError(ErrorCode.INVALID_IMAGE, "the body does not match X-Content-SHA256")
        vault = self._vault()
        loop = asyncio.get_running_loop()
        # The image work comes first and the duplicate look-up inside the storing
        # transaction: a page arrives twice only after a lost reply, so the rare wasted
        # check costs less than a database round trip competing with every new page's.
        try:
            page = await loop.run_in_executor(
                self._executor, check_page_image, data, self.max_bytes
            )
        except InvalidImage as exc:
            await self.refuse(kiosk, session_id, exc.reason)
            raise HubError(ErrorCode.INVALID_IMAGE, f"{exc.reason}: {exc.detail}") from None
        try:
            result = await self._store(
                cs,
                kiosk,
                vault,
                sha256=sha256,
                command_id=command_id,
                page=page,
                uploaded_bytes=len(data),
            )
        except IntegrityError:
            # The same page arrived twice at once: the other request stored it.
            again = await self._existing(session_id, sha256)
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
        await send_all(self.hub.registry.console_for(session_id, cs.officer_id), added)
        log.info("material %d stored (page %d)", result.material_id, result.page_no)
        return result

    async def _store(
        self,
        cs: CallSession,
        kiosk: Principal,
        vault: IdentityVault,
        *,
        sha256: str,
        command_id: str | None,
        page: CheckedPage,
        uploaded_bytes: int,
    ) -> StoreResult:
        nonce, ciphertext = vault.seal(cs.id, page.jpeg)
        thumb_nonce, thumb_ciphertext = vault.seal(cs.id, page.thumbnail)
        async with self.hub.db.session() as s, s.begin():
            # Pages of one session are numbered one at a time: on PostgreSQL two uploads
            # would otherwise count the same rows (SQLite's single connection hid this).
            await s.execute(
                select(CallSession.id)
                .where(CallSession.id == cs.id)
                .with_for_update(key_share=True)
            )
            earlier = await self._earlier(s, cs.id, sha256)
            if earlier is not None:
                return earlier
            count = await s.scalar(
                select(func.count())
                .select_from(StoredMaterial)
                .where(StoredMaterial.session_id == cs.id)
            )
            row = StoredMaterial(
                session_id=cs.id,
                kiosk_id=cs.kiosk_id,
                sha256=sha256,
                command_id=command_id,
                page_no=int(count or 0) + 1,
                width=page.width,
                height=page.height,
                size_bytes=len(page.jpeg),
                key_id=vault.key_id,
                nonce=nonce,
                ciphertext=ciphertext,
                thumb_nonce=thumb_nonce,
                thumb_ciphertext=thumb_ciphertext,
            )
            s.add(row)
            await s.flush()
            s.add(
                audit_entry(
                    kiosk,
                    "material.store",
                    cs.id,
                    material_id=row.id,
                    page_no=row.page_no,
                    command_id=command_id,
                    uploaded_bytes=uploaded_bytes,
                    width=page.width,
                    height=page.height,
                )
            )
            await record_event(
                s, cs.id, "page.added", kiosk, material_id=row.id, page_no=row.page_no
            )
            return StoreResult(row.id, row.page_no, False)

    async def _readable(self, s: Any, row: StoredMaterial | None, who: Principal) -> None:
        if row is None:
            raise HubError(ErrorCode.NOT_FOUND, "no such material")
        await session_for_reader(s, row.session_id, who)

    async def read(self, material_id: int, who: Principal) -> tuple[StoredMaterial, bytes]:
        """The full JPEG of a material, decrypted; audits `material.read`."""
        vault = self._vault()
        async with self.hub.db.session() as s, s.begin():
            row = await s.get(StoredMaterial, material_id)
            await self._readable(s, row, who)
            assert row is not None
            if row.key_id != vault.key_id:
                raise HubError(ErrorCode.INTERNAL, "material stored under another key")
            plain = vault.open(row.session_id, row.nonce, row.ciphertext)
            s.add(audit_entry(who, "material.read", row.session_id, material_id=row.id))
            return row, plain

    async def list_for(self, session_id: str, who: Principal) -> list[dict[str, Any]]:
        """The session's materials (no image data) for its officer or an admin."""
        async with self.hub.db.session() as s:
            await session_for_reader(s, session_id, who)
            rows = await s.scalars(
                select(StoredMaterial)
                .where(StoredMaterial.session_id == session_id)
                .order_by(StoredMaterial.page_no)
            )
            return [
                {
                    "material_id": r.id,
                    "page_no": r.page_no,
                    "sha256": r.sha256,
                    "width": r.width,
                    "height": r.height,
                    "size_bytes": r.size_bytes,
                    "command_id": r.command_id,
                    "created_at": r.created_at.isoformat(),
                }
                for r in rows
            ]


MATERIALS_KEY = web.AppKey("materials", MaterialService)


async def _read_body(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise HubError(ErrorCode.TOO_LARGE, f"upload over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    # Read the stream ourselves: the app's client_max_size is sized for JSON, not pages.
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise HubError(ErrorCode.TOO_LARGE, f"upload over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def post_material(request: web.Request) -> web.Response:
    """`POST /api/v1/sessions/{session_id}/materials`: see the module docstring."""
    service = request.app[MATERIALS_KEY]
    who = await principal_of(request, service.hub)
    if not who.is_kiosk:
        raise HubError(ErrorCode.FORBIDDEN, "only kiosks upload materials")
    session_id = request.match_info["session_id"]
    sha256 = request.headers.get("X-Content-SHA256", "").strip().lower()
    if not _SHA_RE.match(sha256):
        raise HubError(ErrorCode.BAD_MESSAGE, "X-Content-SHA256 must be a hex SHA-256")
    command_id = request.headers.get("X-Command-Id") or None
    if command_id is not None and not _COMMAND_RE.match(command_id):
        raise HubError(ErrorCode.BAD_MESSAGE, "X-Command-Id is malformed")
    cs = await service._kiosk_session(session_id, who)  # refuse before reading a large body
    try:
        data = await _read_body(request, service.max_bytes)
    except HubError:
        await service.refuse(who, session_id, "too_large")
        raise
    result = await service.upload(session_id, who, data, sha256, command_id, cs=cs)
    return web.json_response(
        {"material_id": result.material_id, "page_no": result.page_no,
         "duplicate": result.duplicate},
        status=200 if result.duplicate else 201,
    )  # fmt: skip


async def get_material(request: web.Request) -> web.Response:
    """`GET /api/v1/materials/{material_id}`: the full JPEG (audited)."""
    service = request.app[MATERIALS_KEY]
    who = await principal_of(request, service.hub)
    try:
        material_id = int(request.match_info["material_id"])
    except ValueError:
        raise HubError(ErrorCode.NOT_FOUND, "no such material") from None
    row, jpeg = await service.read(material_id, who)
    return web.Response(
        body=jpeg,
        content_type="image/jpeg",
        headers={"X-Page-No": str(row.page_no), "Cache-Control": "no-store"},
    )


async def list_materials(request: web.Request) -> web.Response:
    """`GET /api/v1/sessions/{session_id}/materials`: the list, without image data."""
    service = request.app[MATERIALS_KEY]
    who = await principal_of(request, service.hub)
    rows = await service.list_for(request.match_info["session_id"], who)
    return web.json_response(rows)


async def _cleanup(app: web.Application) -> None:
    app[MATERIALS_KEY].close()


def setup_materials(app: web.Application) -> None:
    """Add the material service and its routes to a hub application."""
    app[MATERIALS_KEY] = MaterialService(app[HUB_KEY])
    app.router.add_post("/api/v1/sessions/{session_id}/materials", post_material)
    app.router.add_get("/api/v1/sessions/{session_id}/materials", list_materials)
    app.router.add_get("/api/v1/materials/{material_id}", get_material)
    app.on_cleanup.append(_cleanup)
