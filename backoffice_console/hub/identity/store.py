"""Identities in sessions: validation, encryption at rest, storage and audited reads.

The full record (with the ID number and the photo's opaque bytes) is only ever
held encrypted in the database: AES-256-GCM with a key from the file the hub
config names (`identity_key_file`, created by `vw-hub init` with mode 600) and
the session id as associated data. Every store, read and reveal writes an audit
row whose detail holds no personal data.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import select

from backoffice_console.hub.core.audit import audit_entry
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.events import EventBus
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.core.vault import IdentityVault, require_vault
from backoffice_console.hub.db import Database
from backoffice_console.hub.identity.events import IdentityStored
from backoffice_console.hub.identity.models import StoredIdentity
from shared.idcard.record import IdentityRecord
from shared.protocol import ErrorCode


@dataclass(frozen=True)
class StoredRecord:
    """A decrypted identity row."""

    identity_id: int
    session_id: str
    command_id: str | None
    record: IdentityRecord


class IdentityStore:
    """Encrypted identity rows plus their audit trail."""

    def __init__(self, db: Database, vault: IdentityVault | None, bus: EventBus) -> None:
        self._db = db
        self.vault = vault
        # Publishes IdentityStored in `store`'s transaction (the case notes the last-4 digest).
        self._bus = bus

    def _need_vault(self) -> IdentityVault:
        return require_vault(self.vault)

    async def store(
        self, session_id: str, command_id: str | None, record: IdentityRecord, kiosk: Principal
    ) -> int:
        """Encrypt and store `record` under the session; audits `identity.store`."""
        vault = self._need_vault()
        nonce, ciphertext = vault.seal(session_id, record.to_json().encode("utf-8"))
        async with self._db.session() as s, s.begin():
            row = StoredIdentity(
                session_id=session_id,
                command_id=command_id,
                source=record.source.value,
                card_type=record.card_type.value,
                key_id=vault.key_id,
                nonce=nonce,
                ciphertext=ciphertext,
            )
            s.add(row)
            await s.flush()
            s.add(
                audit_entry(
                    kiosk,
                    "identity.store",
                    session_id,
                    identity_id=row.id,
                    command_id=command_id,
                    source=record.source.value,
                    card_type=record.card_type.value,
                )
            )
            await self._bus.publish(IdentityStored(s, session_id, record, kiosk))
            return row.id

    async def latest(
        self, session_id: str, reader: Principal, action: str, reason: str | None = None
    ) -> StoredRecord:
        """Decrypt the session's newest identity; audits `action` with the reader's id
        (and the reason a supervisor gave)."""
        vault = self._need_vault()
        async with self._db.session() as s, s.begin():
            row = await s.scalar(
                select(StoredIdentity)
                .where(StoredIdentity.session_id == session_id)
                .order_by(StoredIdentity.id.desc())
                .limit(1)
            )
            if row is None:
                raise HubError(ErrorCode.NOT_FOUND, "no identity in this session")
            if row.key_id != vault.key_id:
                raise HubError(ErrorCode.INTERNAL, "identity stored under another key")
            plain = vault.open(session_id, row.nonce, row.ciphertext)
            extra = {"reason": reason} if reason is not None else {}
            s.add(audit_entry(reader, action, session_id, identity_id=row.id, **extra))
            record = IdentityRecord.from_json(plain.decode("utf-8"))
            return StoredRecord(row.id, session_id, row.command_id, record)


IDENTITY_KEY = web.AppKey("identity", IdentityStore)
