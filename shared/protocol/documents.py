"""Session documents over HTTP: rendering a receipt, slip or form, its metadata, signing it.

Hub: `backoffice_console/hub/documents/routes.py` (`create_document`, `document_info`,
`post_signature`, `post_unsigned`; the replies are `describe()` of `documents/service.py`). The PDFs
(`GET /api/v1/documents/{id}.pdf` and `.../signed.pdf`) are binary. A document the
hub refuses to render answers 422 with an `ErrorBody` whose code is `glyph_missing`
or `document_refused`; a signature without strokes 422 `empty_signature`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.protocol.base import Model

MAX_STROKES = 200
"""Strokes in one signature (`SignatureBody.strokes`)."""

DocumentKind = Literal["receipt", "slip", "form"]
Paper = Literal["A4", "A5"]
Point = tuple[Annotated[float, Field(ge=0.0, le=1.0)], Annotated[float, Field(ge=0.0, le=1.0)]]
"""A point of a stroke in pad coordinates 0..1, y down."""


class CreateBody(BaseModel):
    """`POST /api/v1/sessions/{id}/documents`."""

    model_config = ConfigDict(extra="forbid")

    kind: DocumentKind
    paper: Literal["A4", "A5"] = "A5"


class SignatureBody(BaseModel):
    """`POST /api/v1/documents/{id}/signature`: strokes in pad coordinates 0..1, y down."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(default="applicant", pattern=r"^[a-z][a-z0-9_]{0,31}$")
    strokes: list[list[Point]] = Field(max_length=MAX_STROKES)


class UnsignedBody(BaseModel):
    """`POST /api/v1/documents/{id}/unsigned`: why the resident could not sign."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=200)


class SignatureField(Model):
    """Where a form is signed: the page (0-based) and the box in PDF points."""

    name: str
    label: str
    page: int
    box: tuple[float, float, float, float]
    """x, y, width, height."""


class DocumentReply(Model):
    """A document as the hub describes it.

    The reply to `POST /api/v1/sessions/{id}/documents` (201),
    `POST /api/v1/documents/{id}/signature` and `POST /api/v1/documents/{id}/unsigned`.
    """

    document_id: str
    session_id: str
    kind: DocumentKind
    title: str
    paper: Paper
    pages: int
    sha256: str
    status: Literal["issued", "signed", "unsigned"]
    signed_at: datetime | None
    signed_sha256: str | None
    unsigned_reason: str | None


class DocumentDetail(DocumentReply):
    """`GET /api/v1/documents/{id}`: the description with the form's signature fields."""

    signature_fields: list[SignatureField]


__all__ = [
    "MAX_STROKES",
    "CreateBody",
    "DocumentDetail",
    "DocumentKind",
    "DocumentReply",
    "Paper",
    "SignatureBody",
    "SignatureField",
    "UnsignedBody",
]
