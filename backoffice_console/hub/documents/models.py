"""Documents rendered for a session (receipts, slips, forms), encrypted at rest.

Change a model only together with a new migration; the schema test checks they match.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    ForeignKey,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from backoffice_console.hub.db import utcnow
from backoffice_console.hub.db.base import Base


class StoredDocument(Base):
    """A document the hub rendered for a session (receipt, slip, form), encrypted at rest.

    `ciphertext` is the PDF and `source_ciphertext` the model it was rendered from
    (a form is re-rendered with its signature), both AES-GCM under the identity
    vault's key with the session id as associated data. A signed form keeps its
    signed PDF in `signed_ciphertext`; `unsigned_reason` records why a resident
    could not sign.
    """

    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    paper: Mapped[str] = mapped_column(String(4))
    pages: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int] = mapped_column(Integer)
    key_id: Mapped[str] = mapped_column(String(16))
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    source_nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    source_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    signed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    signed_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    signed_nonce: Mapped[bytes | None] = mapped_column(LargeBinary(12), default=None)
    signed_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    unsigned_reason: Mapped[str | None] = mapped_column(String(200), default=None)
