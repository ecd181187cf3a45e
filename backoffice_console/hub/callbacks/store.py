"""Call-back requests in the database: stored sealed, listed, read, closed (queries only)."""

from __future__ import annotations

from sqlalchemy import select

from backoffice_console.hub.accounts import Kiosk, ServicePoint
from backoffice_console.hub.callbacks.models import CallbackRequest
from backoffice_console.hub.core.audit import audit_entry
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db import Database, utcnow
from shared.protocol import ErrorCode

MAX_LISTED = 500


class CallbackStore:
    """Reads and writes `CallbackRequest` rows (the sealing is the service's)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        kiosk: Principal,
        *,
        ref: str,
        matter_code: str,
        catalogue_version_id: int,
        key_id: str,
        nonce: bytes,
        ciphertext: bytes,
    ) -> int:
        """Store a sealed request at the kiosk's point (audited `callback.create`); its id."""
        async with self._db.session() as s, s.begin():
            row_kiosk = await s.get(Kiosk, kiosk.subject_id)
            if row_kiosk is None:
                raise HubError(ErrorCode.FORBIDDEN, "unknown kiosk")
            row = CallbackRequest(
                ref=ref,
                kiosk_id=row_kiosk.id,
                point_id=row_kiosk.point_id,
                matter_code=matter_code,
                catalogue_version_id=catalogue_version_id,
                key_id=key_id,
                nonce=nonce,
                ciphertext=ciphertext,
            )
            s.add(row)
            await s.flush()
            s.add(audit_entry(kiosk, "callback.create", None, callback_id=row.id,
                              matter=matter_code))  # fmt: skip
            return row.id

    async def listed(
        self, state: str, limit: int = MAX_LISTED
    ) -> list[tuple[CallbackRequest, str]]:
        """Requests in `state` (`all`: every one), oldest first, with their point's name."""
        query = (
            select(CallbackRequest, ServicePoint.name)
            .join(ServicePoint, ServicePoint.id == CallbackRequest.point_id)
            .order_by(CallbackRequest.created_at, CallbackRequest.id)
            .limit(limit)
        )
        if state != "all":
            query = query.where(CallbackRequest.state == state)
        async with self._db.session() as s:
            return [(row, point_name) for row, point_name in (await s.execute(query)).all()]

    async def get(self, callback_id: int) -> CallbackRequest:
        """One request; `not_found` if there is none."""
        async with self._db.session() as s:
            row = await s.get(CallbackRequest, callback_id)
        if row is None:
            raise HubError(ErrorCode.NOT_FOUND, "no such call-back request")
        return row

    async def mark_done(self, callback_id: int, who: Principal, note: str | None) -> None:
        """Close an open request (audited `callback.done`); `conflict` if already done."""
        async with self._db.session() as s, s.begin():
            row = await s.get(CallbackRequest, callback_id, with_for_update=True)
            if row is None:
                raise HubError(ErrorCode.NOT_FOUND, "no such call-back request")
            if row.state != "open":
                raise HubError(ErrorCode.CONFLICT, "this call-back request is already done")
            row.state = "done"
            row.done_at = utcnow()
            row.done_by = who.subject_id
            row.done_note = note
            s.add(audit_entry(who, "callback.done", None, callback_id=row.id))
