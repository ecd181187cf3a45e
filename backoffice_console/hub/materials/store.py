"""Materials in the database: encrypted page rows, who may read them, and their audit rows.

Images are encrypted with the hub's personal-data vault (`core.vault`, AES-256-GCM,
the session id as associated data): the same key and rules as identities.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.calls import CallSession
from backoffice_console.hub.cases import Case, record_event
from backoffice_console.hub.core.audit import audit_entry
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.core.vault import IdentityVault, require_vault
from backoffice_console.hub.db import Database, iso
from backoffice_console.hub.materials.export import ExportPage
from backoffice_console.hub.materials.images import CheckedPage
from backoffice_console.hub.materials.models import StoredMaterial
from shared.protocol import ErrorCode, Role


@dataclass(frozen=True)
class StoreResult:
    """What an upload produced: the material (new or the earlier one with the same hash)."""

    material_id: int
    page_no: int
    duplicate: bool


@dataclass(frozen=True)
class ExportSet:
    """Every page of a session, decrypted, with what the export's footer and audit need."""

    started_at: dt.datetime
    pages: list[ExportPage]
    material_ids: list[int]


async def session_for_reader(s: AsyncSession, session_id: str, who: Principal) -> CallSession:
    """The session, if `who` may read its materials: its officer, or an admin.

    Raises HubError not_found (no such session) or forbidden.
    """
    cs = await s.get(CallSession, session_id)
    if cs is None:
        raise HubError(ErrorCode.NOT_FOUND, "no such session")
    if who.role is Role.ADMIN or (who.role is Role.OFFICER and cs.officer_id == who.subject_id):
        return cs
    raise HubError(ErrorCode.FORBIDDEN, "only the session's officer or an admin")


async def check_page(s: AsyncSession, case: Case, ref: str) -> None:
    """The case checklist's check of a `page` reference: a material id of the case's session."""
    if not ref.isdigit():
        raise HubError(ErrorCode.BAD_MESSAGE, "a page ref is a material id")
    owner = await s.scalar(select(StoredMaterial.session_id).where(StoredMaterial.id == int(ref)))
    if owner != case.session_id:
        raise HubError(ErrorCode.BAD_MESSAGE, "no such page in this case's session")


async def _earlier(s: AsyncSession, session_id: str, sha256: str) -> StoreResult | None:
    """The material already stored with this digest in the session, if any."""
    row = (
        await s.execute(
            select(StoredMaterial.id, StoredMaterial.page_no).where(
                StoredMaterial.session_id == session_id, StoredMaterial.sha256 == sha256
            )
        )
    ).first()
    return None if row is None else StoreResult(row.id, row.page_no, True)


class MaterialStore:
    """Encrypted material rows plus their audit trail."""

    def __init__(self, db: Database, vault: IdentityVault | None) -> None:
        self._db = db
        self._vault = vault

    def need_vault(self) -> IdentityVault:
        """The personal-data vault; HubError bad_state when the hub has none."""
        return require_vault(self._vault)

    async def session(self, session_id: str) -> CallSession | None:
        """The call session `session_id`, if there is one."""
        async with self._db.session() as s:
            return await s.get(CallSession, session_id)

    async def page_count(self, session_id: str) -> int:
        """How many pages a session holds."""
        async with self._db.session() as s:
            count = await s.scalar(
                select(func.count())
                .select_from(StoredMaterial)
                .where(StoredMaterial.session_id == session_id)
            )
        return int(count or 0)

    async def existing(self, session_id: str, sha256: str) -> StoreResult | None:
        """The material already stored with this digest in the session, if any."""
        async with self._db.session() as s:
            return await _earlier(s, session_id, sha256)

    async def add(
        self,
        cs: CallSession,
        kiosk: Principal,
        *,
        sha256: str,
        command_id: str | None,
        page: CheckedPage,
        uploaded_bytes: int,
        max_pages: int | None = None,
    ) -> StoreResult:
        """Encrypt and store a checked page as the session's next page (or find the earlier one).

        Audits `material.store` and adds `page.added` to the case's timeline.
        """
        vault = self.need_vault()
        nonce, ciphertext = vault.seal(cs.id, page.jpeg)
        thumb_nonce, thumb_ciphertext = vault.seal(cs.id, page.thumbnail)
        async with self._db.session() as s, s.begin():
            # Pages of one session are numbered one at a time: on PostgreSQL two uploads
            # would otherwise count the same rows (SQLite's single connection hid this).
            await s.execute(
                select(CallSession.id)
                .where(CallSession.id == cs.id)
                .with_for_update(key_share=True)
            )
            earlier = await _earlier(s, cs.id, sha256)
            if earlier is not None:
                return earlier
            count = await s.scalar(
                select(func.count())
                .select_from(StoredMaterial)
                .where(StoredMaterial.session_id == cs.id)
            )
            if max_pages is not None and int(count or 0) >= max_pages:
                # Checked again here, under the session's lock: two uploads at once.
                raise HubError(
                    ErrorCode.INVALID_IMAGE, f"too_many_pages: a session holds {max_pages}"
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

    async def read(self, material_id: int, who: Principal) -> tuple[StoredMaterial, bytes]:
        """The full JPEG of a material, decrypted; audits `material.read`."""
        vault = self.need_vault()
        async with self._db.session() as s, s.begin():
            row = await s.get(StoredMaterial, material_id)
            if row is None:
                raise HubError(ErrorCode.NOT_FOUND, "no such material")
            await session_for_reader(s, row.session_id, who)
            if row.key_id != vault.key_id:
                raise HubError(ErrorCode.INTERNAL, "material stored under another key")
            plain = vault.open(row.session_id, row.nonce, row.ciphertext)
            s.add(audit_entry(who, "material.read", row.session_id, material_id=row.id))
            return row, plain

    async def list_for(self, session_id: str, who: Principal) -> list[dict[str, Any]]:
        """The session's materials (no image data) for its officer or an admin."""
        async with self._db.session() as s:
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
                    "created_at": iso(r.created_at),
                }
                for r in rows
            ]

    async def export_set(self, session_id: str, who: Principal) -> ExportSet:
        """Every page of the session decrypted, for its officer or an admin (nothing audited)."""
        vault = self.need_vault()
        async with self._db.session() as s:
            cs = await session_for_reader(s, session_id, who)
            rows = list(
                await s.scalars(
                    select(StoredMaterial)
                    .where(StoredMaterial.session_id == session_id)
                    .order_by(StoredMaterial.page_no)
                )
            )
            started_at = cs.started_at
        if not rows:
            raise HubError(ErrorCode.NOT_FOUND, "this session has no materials")
        if any(r.key_id != vault.key_id for r in rows):
            raise HubError(ErrorCode.INTERNAL, "material stored under another key")
        pages = [
            ExportPage(
                r.page_no, r.width, r.height, vault.open(r.session_id, r.nonce, r.ciphertext)
            )
            for r in rows
        ]
        return ExportSet(started_at, pages, [r.id for r in rows])

    async def page_numbers(self, session_id: str) -> list[int]:
        """The numbers of the pages stored in the session, in order."""
        async with self._db.session() as s:
            pages = await s.scalars(
                select(StoredMaterial.page_no)
                .where(StoredMaterial.session_id == session_id)
                .order_by(StoredMaterial.page_no)
            )
            return list(pages)
