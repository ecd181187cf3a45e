"""The HTTP API's common parts: the error body, the hub's health, and sending a body.

The HTTP contract lives next to the websocket messages, one module per area of
the hub: request bodies (what the hub validates, `*Body`) and replies (what it
answers). Where each route's models are:

- `accounts`: log-in, kiosk enrolment and device tokens.
- `sessions`: the sessions list, one session, the audit log.
- `identity`: a session's identity, masked, and the revealed number.
- `documents`, `materials`, `cases`, `rating`, `callbacks`, `circulation`,
  `routing`, `catalogue`, `reports`, `fleet` and `health` (kiosk health reports).

Conventions. A request body is a plain pydantic model configured as the hub
validates it (`extra="forbid"`). A reply is a `Model` (strict and immutable:
an unknown key is refused, so a change on one side is caught on the other);
a JSON list is a `RootModel[list[X]]` named `...List` (read it with
`XList.model_validate(data).root`). Instants the hub sends as ISO 8601 text are
`datetime` fields and calendar days `date` fields; both are read from that text.
Binary replies (PDF, JPEG, CSV) have no model.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError

from shared.protocol.base import Model

ErrorCodeText = Annotated[str, Field(min_length=1, max_length=64)]


class ErrorBody(Model):
    """Every refused request (HTTP 4xx/5xx): `{"code", "message"}`.

    `code` is an `ErrorCode` value, `unauthorized` (401), or an area's own code
    (documents: `glyph_missing`, `empty_signature`, `document_refused`).
    Replies with more keys have their own model (`circulation.CirculationConflict`,
    `catalogue.CatalogueRejected`).
    """

    code: ErrorCodeText
    message: str


class HubHealth(Model):
    """`GET /api/v1/health` (no log-in): the hub answers, its version and clock."""

    ok: bool
    version: Annotated[str, Field(max_length=64)]
    time: datetime


def wire(body: BaseModel) -> dict[str, Any]:
    """A request body as the JSON object to send: only the fields the caller set.

    Fields left at their defaults are not sent, so the hub applies its own
    defaults exactly as when a client leaves a key out.
    """
    return body.model_dump(mode="json", exclude_unset=True)


def invalid_text(exc: ValidationError, limit: int = 200) -> str:
    """The first problem of a failed validation as one line: `Model: where: what`."""
    errors = exc.errors()
    if not errors:
        return f"{exc.title}: invalid"
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{exc.title}: {where}: {first['msg']}{more}"[:limit]


__all__ = ["ErrorBody", "HubHealth", "invalid_text", "wire"]
