"""The call-back rules: the matter must be in the current catalogue, phone and note are
sealed with the hub's personal-data vault (`core.vault`), and every read is audited.

The phone and note are held only encrypted, under a random `ref` whose
`"callback:" + ref` is the associated data (a row copied elsewhere does not decrypt).
Audit details never hold the phone or the note.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from aiohttp import web

from backoffice_console.hub.callbacks.models import CallbackRequest
from backoffice_console.hub.callbacks.store import CallbackStore
from backoffice_console.hub.catalogue import CatalogueStore
from backoffice_console.hub.core.audit import AuditLog
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.core.vault import IdentityVault, require_vault
from backoffice_console.hub.db import iso
from shared.protocol import ErrorCode
from shared.protocol.callbacks import CallbackCreate, mask_phone


def _ad(ref: str) -> str:
    return f"callback:{ref}"


def _open_secret(vault: IdentityVault, row: CallbackRequest) -> dict[str, str]:
    if row.key_id != vault.key_id:
        raise HubError(ErrorCode.INTERNAL, "call-back request stored under another key")
    data: dict[str, str] = json.loads(vault.open(_ad(row.ref), row.nonce, row.ciphertext))
    return data


class Callbacks:
    """Call-back requests: left by kiosks, listed, dialled and closed by officers."""

    def __init__(
        self,
        store: CallbackStore,
        catalogue: CatalogueStore,
        audit: AuditLog,
        vault: IdentityVault | None,
    ) -> None:
        self.store = store
        self._catalogue = catalogue
        self._audit = audit
        self._vault_or_none = vault

    def _vault(self) -> IdentityVault:
        return require_vault(self._vault_or_none)

    async def create(self, kiosk: Principal, body: CallbackCreate) -> dict[str, Any]:
        """Store a kiosk's request: `{"id", "phone_masked"}`; `not_found` for an unknown matter."""
        version_id, catalogue = await self._catalogue.current()
        if catalogue.matter(body.matter_code) is None:
            raise HubError(ErrorCode.NOT_FOUND, f"unknown matter code {body.matter_code}")
        vault = self._vault()
        ref = secrets.token_hex(16)
        secret = json.dumps({"phone": body.phone, "note": body.note}, ensure_ascii=False)
        nonce, ciphertext = vault.seal(_ad(ref), secret.encode("utf-8"))
        callback_id = await self.store.create(
            kiosk,
            ref=ref,
            matter_code=body.matter_code,
            catalogue_version_id=version_id,
            key_id=vault.key_id,
            nonce=nonce,
            ciphertext=ciphertext,
        )
        return {"id": callback_id, "phone_masked": mask_phone(body.phone)}

    async def listing(self, who: Principal, state: str) -> dict[str, Any]:
        """`{"callbacks": [...]}` in `state` (open, done or all), phones masked; audited."""
        if state not in ("open", "done", "all"):
            raise HubError(ErrorCode.BAD_MESSAGE, "state must be open, done or all")
        vault = self._vault()
        try:
            _, catalogue = await self._catalogue.current()
            names = {m.code: m.name for m in catalogue.matters}
        except HubError:
            names = {}
        items: list[dict[str, Any]] = []
        for row, point_name in await self.store.listed(state):
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
                    "done_at": iso(row.done_at),
                    "done_note": row.done_note,
                }
            )
        await self._audit.write(who, "callback.list", None, state=state, count=len(items))
        return {"callbacks": items}

    async def reveal(self, who: Principal, callback_id: int) -> dict[str, Any]:
        """`{"id", "phone"}`: the full number to dial; audited `callback.reveal`."""
        vault = self._vault()
        row = await self.store.get(callback_id)
        phone = _open_secret(vault, row)["phone"]
        await self._audit.write(who, "callback.reveal", None, callback_id=row.id)
        return {"id": callback_id, "phone": phone}

    async def done(self, who: Principal, callback_id: int, note: str | None) -> dict[str, Any]:
        """Close an open request: `{"id", "state": "done"}`; a second close is `conflict`."""
        await self.store.mark_done(callback_id, who, note or None)
        return {"id": callback_id, "state": "done"}


CALLBACKS_KEY = web.AppKey("callbacks", Callbacks)
