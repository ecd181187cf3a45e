"""Device commands: the officer asks the kiosk to do something with a device.

Flow (docs/ARCHITECTURE.md "Device commands"): the console sends `DeviceCommand`; the hub
checks that this officer holds the session, audits it and relays it to the
kiosk. The kiosk answers with `DeviceProgress` (zero or more) and then either a
result message (for `idcard.read`: `IdentityReport`, which the hub stores and
turns into a display-safe `IdentityUpdate` for the console) or `DeviceFailed`.
`command_id` is chosen by the console and ties them together.
"""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from shared.protocol.base import Model, Request, SessionId, ShortText

MAX_IDENTITY_RECORD_CHARS = 8 * 1024
"""The JSON of one identity record: ~600 bytes of text plus a 1024-byte photo in base64."""

CommandId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
CodeText = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_.]+$")]
ParamKey = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")]
ParamValue = bool | int | float | Annotated[str, Field(max_length=200)]

DeviceCommandKind = Literal["idcard.read", "page.capture", "print", "form.sign"]
"""What a command asks for; later issues add `page.capture`, `print`, `form.sign`."""

DeviceStage = Literal[
    "accepted",
    "waiting_for_card",
    "reading",
    "card_removed",
    "manual_entry",
    "capturing",
    # print: the job's and the printer's state as it goes ("done": printed).
    "queued",
    "printing",
    "paper_out",
    "jam",
    "cover_open",
    "offline",
    "done",
    # form.sign: shown on the pad, signed (stored on the hub), or the resident cannot sign.
    "signing",
    "signed",
    "cannot_sign",
]
"""How far a command has got, shown to the officer."""

IdentitySource = Literal["id_card", "social_security_card", "manual"]


class DeviceErrorCode(StrEnum):
    """Why a device command failed (`DeviceFailed.code`); the UIs translate these."""

    NO_READER = "no_reader"
    NO_CAMERA = "no_camera"
    TIMEOUT = "timeout"
    CARD_REMOVED = "card_removed"
    READ_FAILED = "read_failed"
    WRONG_CARD = "wrong_card"
    INVALID_CARD = "invalid_card"
    CANCELLED = "cancelled"
    BUSY = "busy"
    NO_PRINTER = "no_printer"
    FETCH_FAILED = "fetch_failed"
    PRINT_FAILED = "print_failed"
    SIGN_FAILED = "sign_failed"
    UNSUPPORTED = "unsupported"
    INTERNAL = "internal"


class DeviceCommand(Request):
    """Console -> hub -> kiosk: run `kind` on the kiosk's devices within `session_id`."""

    type: Literal["device.command"] = "device.command"
    session_id: SessionId
    command_id: CommandId
    kind: DeviceCommandKind
    params: Annotated[dict[ParamKey, ParamValue], Field(max_length=8)] = Field(default_factory=dict)


class DeviceProgress(Request):
    """Kiosk -> hub -> console: the command reached `stage`."""

    type: Literal["device.progress"] = "device.progress"
    session_id: SessionId
    command_id: CommandId
    kind: DeviceCommandKind
    stage: DeviceStage


class DeviceFailed(Request):
    """Kiosk -> hub -> console (or hub -> console): the command ended without a result.

    `reason` is a finer code (e.g. the ID check that failed: `check_digit`);
    `message` is for logs and never holds personal data.
    """

    type: Literal["device.failed"] = "device.failed"
    session_id: SessionId
    command_id: CommandId
    kind: DeviceCommandKind
    code: DeviceErrorCode
    reason: CodeText | None = None
    message: ShortText = ""


class IdentityReport(Request):
    """Kiosk -> hub: an identity read or typed at the kiosk, in full.

    `record` is `IdentityRecord.to_json()` of `shared.idcard` (the photo as base64
    of its opaque bytes). `command_id` is None when the helper read the card from
    the touch screen without a command. Never relayed: the hub validates it,
    stores it encrypted and tells the console only an `IdentityUpdate`.
    """

    type: Literal["identity.report"] = "identity.report"
    session_id: SessionId
    command_id: CommandId | None = None
    record: dict[str, Any]

    @field_validator("record")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value, ensure_ascii=False)) > MAX_IDENTITY_RECORD_CHARS:
            raise ValueError(f"identity record over {MAX_IDENTITY_RECORD_CHARS} characters")
        return value


class IdentityUpdate(Request):
    """Hub -> console: what the officer may see of a stored identity (number masked)."""

    type: Literal["identity.update"] = "identity.update"
    session_id: SessionId
    command_id: CommandId | None = None
    identity_id: int = Field(ge=1)
    source: IdentitySource
    card_type: Annotated[str, Field(max_length=32)]
    name: ShortText
    masked_id: Annotated[str, Field(max_length=40)]
    gender: Annotated[str, Field(max_length=16)] | None = None
    age: int | None = Field(default=None, ge=0, le=200)
    valid_to: dt.date | None = None
    expired: bool = False
    has_photo: bool = False


__all__ = [
    "DeviceCommand",
    "DeviceCommandKind",
    "DeviceErrorCode",
    "DeviceFailed",
    "DeviceProgress",
    "DeviceStage",
    "IdentityReport",
    "IdentitySource",
    "IdentityUpdate",
    "Model",
]
