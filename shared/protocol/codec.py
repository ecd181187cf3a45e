"""Text <-> message models, with size limits and precise errors."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError

from shared.protocol.messages import (
    PROTOCOL_VERSION,
    ClientMessage,
    ErrorCode,
    ServerMessage,
)
from shared.protocol.wirejson import JsonRefused, read_json

MAX_MESSAGE_BYTES = 64 * 1024
"""Largest websocket message either side accepts (the hub closes with 1009 above it)."""

_client_adapter: TypeAdapter[Any] = TypeAdapter(ClientMessage)
_server_adapter: TypeAdapter[Any] = TypeAdapter(ServerMessage)


class ProtocolError(Exception):
    """A message that cannot be accepted; `code` and `message` go into the error reply.

    `request_id` is the `id` of the offending message when it could be read, so the
    sender can match the error to its request.
    """

    def __init__(self, code: ErrorCode, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


def encode(message: BaseModel) -> str:
    """Serialise a message model to the JSON text sent on the wire."""
    return message.model_dump_json(exclude_none=True)


def _load(text: str | bytes) -> dict[str, Any]:
    if not isinstance(text, str | bytes):
        raise ProtocolError(ErrorCode.BAD_JSON, "a message is text or bytes")
    size = len(text) if isinstance(text, bytes) else len(text) * 4
    if size > MAX_MESSAGE_BYTES and len(_utf8(text)) > MAX_MESSAGE_BYTES:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"message over {MAX_MESSAGE_BYTES} bytes")
    try:
        data = read_json(text)
    except JsonRefused as exc:
        raise ProtocolError(ErrorCode.BAD_JSON, f"not valid JSON: {exc.reason}"[:200]) from None
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "a message must be a JSON object")
    return data


def _utf8(text: str | bytes) -> bytes:
    # Only for the size check: a lone surrogate is counted, and refused by read_json after.
    return text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")


def _version_ok(version: object) -> bool:
    # Exactly the integer 1: `true` and `1.0` compare equal to 1 in Python, not on the wire.
    return type(version) is int and version == PROTOCOL_VERSION


def _decode(text: str | bytes, adapter: TypeAdapter[Any], kinds: set[str]) -> Any:
    data = _load(text)
    raw_id = data.get("id")
    request_id = raw_id if isinstance(raw_id, str) and 0 < len(raw_id) <= 64 else None
    version = data.get("v", PROTOCOL_VERSION)
    if not _version_ok(version):
        shown = repr(version)[:40]
        raise ProtocolError(
            ErrorCode.UNSUPPORTED_VERSION,
            f"protocol version {shown} is not supported (this side speaks {PROTOCOL_VERSION})",
            request_id,
        )
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in kinds:
        shown = repr(kind)[:60]
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {shown}", request_id)
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "message"
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"{kind}: {where}: {first['msg']}"[:200], request_id
        ) from None
    except Exception as exc:
        # The codec's contract is ProtocolError for any input; a validator that fails
        # otherwise (a bug) still leaves a refused message, never a crash.
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"{kind}: not accepted ({type(exc).__name__})", request_id
        ) from None


def _kinds(annotated_union: Any) -> set[str]:
    union = get_args(annotated_union)[0]
    return {member.model_fields["type"].default for member in get_args(union)}


_CLIENT_KINDS = _kinds(ClientMessage)
_SERVER_KINDS = _kinds(ServerMessage)


def decode_client_message(text: str | bytes) -> Any:
    """Parse a message a kiosk or console sent; raises `ProtocolError`.

    Returns one of the `ClientMessage` models.
    """
    return _decode(text, _client_adapter, _CLIENT_KINDS)


def decode_server_message(text: str | bytes) -> Any:
    """Parse a message the hub sent; raises `ProtocolError`.

    Returns one of the `ServerMessage` models.
    """
    return _decode(text, _server_adapter, _SERVER_KINDS)
