"""Identities in sessions: validation, encryption at rest, storage and audited reads.

The full record (with the ID number and the photo's opaque bytes) is only ever
held encrypted in the database: AES-256-GCM with a key from the file the hub
config names (`identity_key_file`, created by `vw-hub init` with mode 600) and
the session id as associated data. Every store, read and reveal writes an audit
row whose detail holds no personal data.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.accounts import Principal
from backoffice_console.hub.calls import audit_entry
from backoffice_console.hub.db import Database, StoredIdentity
from backoffice_console.hub.errors import HubError
from shared.idcard.numbers import InvalidIdNumber, check_id_number
from shared.idcard.record import IdentityRecord
from shared.protocol import ErrorCode, IdentityUpdate

MAX_PHOTO_BYTES = 1024
MAX_TEXT_CHARS = 200
_KEY_BYTES = 32


class IdentityKeyError(Exception):
    """The identity key file is missing, unreadable or malformed."""


def create_identity_key(path: Path) -> bool:
    """Create a new random key file (mode 600) unless one exists; True when created."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(base64.b64encode(secrets.token_bytes(_KEY_BYTES)).decode("ascii") + "\n")
    return True


class IdentityVault:
    """AES-256-GCM with one key; `key_id` (a digest prefix) is stored with each row."""

    def __init__(self, key: bytes) -> None:
        if len(key) != _KEY_BYTES:
            raise IdentityKeyError(f"the identity key must be {_KEY_BYTES} bytes")
        self._aead = AESGCM(key)
        self.key_id = hashlib.sha256(b"vw-identity-key:" + key).hexdigest()[:16]
        # A separate key for HMACs (the case's last-4 digest), derived so it never equals `key`.
        self.digest_key = hmac.new(key, b"vw-case-last4", hashlib.sha256).digest()

    @classmethod
    def from_file(cls, path: Path) -> IdentityVault:
        """Load the base64 key file; raises `IdentityKeyError` with a clear reason."""
        try:
            text = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            raise IdentityKeyError(
                f"identity key file {path} is missing (run vw-hub init)"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise IdentityKeyError(f"identity key file {path}: {type(exc).__name__}") from None
        try:
            key = base64.b64decode(text, validate=True)
        except ValueError:
            raise IdentityKeyError(f"identity key file {path} is not base64") from None
        return cls(key)

    def seal(self, session_id: str, plaintext: bytes) -> tuple[bytes, bytes]:
        """`(nonce, ciphertext)` of `plaintext`, bound to `session_id`."""
        nonce = secrets.token_bytes(12)
        return nonce, self._aead.encrypt(nonce, plaintext, session_id.encode())

    def open(self, session_id: str, nonce: bytes, ciphertext: bytes) -> bytes:
        """Decrypt; `HubError(internal)` when the row was tampered with or moved."""
        try:
            return self._aead.decrypt(nonce, ciphertext, session_id.encode())
        except InvalidTag:
            raise HubError(ErrorCode.INTERNAL, "stored identity failed authentication") from None


class InvalidIdentity(HubError):
    """An identity report that was refused; `reason` is a code the UIs translate.

    `reason` is the ID number check that failed (`check_digit`, `birth_date`, ...)
    or `malformed` for anything else about the record.
    """

    def __init__(self, detail: str, reason: str = "malformed") -> None:
        super().__init__(ErrorCode.INVALID_IDENTITY, f"invalid identity: {detail}")
        self.reason = reason


def _invalid(detail: str, reason: str = "malformed") -> InvalidIdentity:
    return InvalidIdentity(detail, reason)


def validate_identity(data: dict[str, Any]) -> IdentityRecord:
    """The record in an `IdentityReport`, checked field by field; raises `HubError`.

    Error messages name the field or the ID check that failed, never a value.
    """
    for key in ("name", "id_number"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise _invalid(f"{key} missing")
    for key, value in data.items():
        if isinstance(value, str) and len(value) > MAX_TEXT_CHARS and key != "photo":
            raise _invalid(f"{key} too long")
        if value is not None and not isinstance(value, str | int | bool):
            raise _invalid(f"{key} has the wrong type")
    photo = data.get("photo")
    if photo is not None and (not isinstance(photo, str) or len(photo) > 4 * MAX_PHOTO_BYTES):
        raise _invalid("photo too large")
    try:
        record = IdentityRecord.from_dict(data)
    except (KeyError, ValueError, TypeError) as exc:
        # The exception text may quote a value: report only its kind.
        raise _invalid(f"malformed record ({type(exc).__name__})") from None
    if record.photo is not None and len(record.photo) > MAX_PHOTO_BYTES:
        raise _invalid("photo too large")
    try:
        check_id_number(record.id_number)
    except InvalidIdNumber as exc:
        raise _invalid(f"id_number {exc.reason}", exc.reason) from None
    return record


def identity_update(
    session_id: str,
    identity_id: int,
    command_id: str | None,
    record: IdentityRecord,
    today: dt.date | None = None,
) -> IdentityUpdate:
    """What the console is told of a stored identity: nothing beyond the masked view."""
    shown = record.masked(today)
    return IdentityUpdate(
        session_id=session_id,
        command_id=command_id,
        identity_id=identity_id,
        source=record.source.value,
        card_type=record.card_type.value,
        name=record.name[:200],
        masked_id=shown["id_number"],
        gender=shown["gender_name"],
        age=shown["age"],
        valid_to=record.valid_to,
        expired=shown["expired"],
        has_photo=shown["has_photo"],
    )


@dataclass(frozen=True)
class StoredRecord:
    """A decrypted identity row."""

    identity_id: int
    session_id: str
    command_id: str | None
    record: IdentityRecord


class IdentityStore:
    """Encrypted identity rows plus their audit trail."""

    def __init__(self, db: Database, vault: IdentityVault | None) -> None:
        self._db = db
        self.vault = vault
        # Run in `store`'s transaction (the case notes the identity's last-4 digest).
        self.store_hooks: list[
            Callable[[AsyncSession, str, IdentityRecord, Principal], Awaitable[None]]
        ] = []

    def _need_vault(self) -> IdentityVault:
        if self.vault is None:
            raise HubError(ErrorCode.BAD_STATE, "this hub has no identity key configured")
        return self.vault

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
            for hook in self.store_hooks:
                await hook(s, session_id, record, kiosk)
            return row.id

    async def latest(self, session_id: str, reader: Principal, action: str) -> StoredRecord:
        """Decrypt the session's newest identity; audits `action` with the reader's id."""
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
            s.add(audit_entry(reader, action, session_id, identity_id=row.id))
            record = IdentityRecord.from_json(plain.decode("utf-8"))
            return StoredRecord(row.id, session_id, row.command_id, record)
