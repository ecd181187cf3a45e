"""Materials: pages captured at the kiosk and delivered to the officer.

The page itself travels over HTTPS (`POST /api/v1/sessions/{id}/materials`, the
kiosk's device token, its SHA-256 as idempotency key), not over the websocket.
Once the hub has validated and stored it, the session's console gets
`MaterialAdded` with a small thumbnail; the full image is fetched with
`GET /api/v1/materials/{id}`. Asking for a page (or a new one after a
rejection) is a `device.command` of kind `page.capture`; its params may carry
`reason` (one of `REJECT_REASONS`) and `retake_of` (the rejected material id).

Over HTTP (hub: `backoffice_console/hub/materials/routes.py`): the upload's body is the
image itself (no model); it answers `MaterialStored`. The list of a session's
pages is a `MaterialList`; `GET /api/v1/materials/{id}` and
`GET /api/v1/sessions/{id}/materials.pdf` are binary.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, RootModel

from shared.protocol.base import Model, Request, SessionId

MAX_THUMBNAIL_B64_CHARS = 32 * 1024
"""A thumbnail's JPEG as base64: small enough to ride in one websocket message."""

REJECT_REASONS = ("blurred", "incomplete", "wrong_document")
"""Why an officer rejects a page (模糊 / 不完整 / 材料不符)."""

Sha256Hex = Annotated[str, Field(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")]


class MaterialAdded(Request):
    """Hub -> console: a page of this session was stored (`material_id`), with a thumbnail."""

    type: Literal["material.added"] = "material.added"
    session_id: SessionId
    material_id: int = Field(ge=1)
    page_no: int = Field(ge=1, le=10_000)
    sha256: Sha256Hex
    width: int = Field(ge=1, le=100_000)
    height: int = Field(ge=1, le=100_000)
    size_bytes: int = Field(ge=1)
    command_id: Annotated[str, Field(max_length=64)] | None = None
    thumbnail_jpeg_b64: Annotated[str, Field(max_length=MAX_THUMBNAIL_B64_CHARS)]


class MaterialStored(Model):
    """Reply to `POST /api/v1/sessions/{id}/materials`: 201 new, 200 a repeat of the digest."""

    material_id: int
    page_no: int
    duplicate: bool


class MaterialRow(Model):
    """One page of a session, without image data."""

    material_id: int
    page_no: int
    sha256: Sha256Hex
    width: int
    height: int
    size_bytes: int
    command_id: str | None
    created_at: datetime


class MaterialList(RootModel[list[MaterialRow]]):
    """`GET /api/v1/sessions/{id}/materials`: the session's pages in page order."""


__all__ = [
    "MAX_THUMBNAIL_B64_CHARS",
    "REJECT_REASONS",
    "MaterialAdded",
    "MaterialList",
    "MaterialRow",
    "MaterialStored",
    "Sha256Hex",
]
