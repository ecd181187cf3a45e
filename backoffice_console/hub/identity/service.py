"""Identities the kiosk reads: validation, the masked update for the console.

- `identity.report` (kiosk): validated, stored encrypted, audited
  (`identity.store`) and turned into a masked `identity.update` for the console.
  An invalid identity is refused with `invalid_identity`, nothing is stored, and
  when it answered a command the console gets `device.failed` (`invalid_card`).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from backoffice_console.hub.calls import CallStore, to_console
from backoffice_console.hub.core.audit import AuditLog
from backoffice_console.hub.core.connections import Connection, Registry, ack
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.identity.store import IdentityStore
from shared.idcard.numbers import InvalidIdNumber, birth_date_of, check_id_number
from shared.idcard.record import IdentityRecord
from shared.protocol import DeviceErrorCode, DeviceFailed, ErrorCode, IdentityReport, IdentityUpdate

log = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 1024
MAX_TEXT_CHARS = 200


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
    _cross_check(record)
    return record


def _cross_check(record: IdentityRecord) -> None:
    """The card's fields must agree with its ID number before anything is stored.

    An 18-character number encodes the birth date (digits 7-14) and the sex (the 17th
    digit: odd for men, even for women, GB 11643); a record whose fields say otherwise
    is forged or misread, and is refused as `mismatch`.
    """
    number = record.id_number
    if len(number) != 18:
        return  # the 2017 foreigner card encodes neither
    if record.birth_date is not None and birth_date_of(number) != record.birth_date:
        raise _invalid("birth_date differs from the ID number", "mismatch")
    code = record.gender.code if record.gender is not None else None
    if code in ("1", "2") and int(number[16]) % 2 != int(code) % 2:
        raise _invalid("gender differs from the ID number", "mismatch")
    if record.valid_from and record.valid_to and record.valid_to < record.valid_from:
        raise _invalid("valid_to before valid_from")


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


class IdentityDesk:
    """`identity.report` from a kiosk (see the module docstring)."""

    def __init__(
        self, calls: CallStore, registry: Registry, identities: IdentityStore, audit: AuditLog
    ) -> None:
        self.calls = calls
        self.registry = registry
        self.identities = identities
        self.audit = audit

    async def on_report(self, conn: Connection, message: IdentityReport) -> None:
        """Validate, store and pass on (masked) an identity the kiosk read."""
        parties = await self.calls.holder_check(message.session_id, conn.principal)
        try:
            record = validate_identity(message.record)
        except InvalidIdentity as exc:
            await self.audit.write(
                conn.principal,
                "identity.refused",
                message.session_id,
                command_id=message.command_id,
                reason=exc.reason,
            )
            if message.command_id is not None:
                failed = DeviceFailed(
                    session_id=message.session_id,
                    command_id=message.command_id,
                    kind="idcard.read",
                    code=DeviceErrorCode.INVALID_CARD,
                    reason=exc.reason,
                    message="the kiosk sent an invalid identity",
                )
                await to_console(self.registry, parties, failed)
            raise
        identity_id = await self.identities.store(
            message.session_id, message.command_id, record, conn.principal
        )
        await ack(conn, message.id)
        update = identity_update(message.session_id, identity_id, message.command_id, record)
        await to_console(self.registry, parties, update)
        log.info("%r: identity %d stored (%s)", conn, identity_id, record.source.value)
