"""Pages captured at the kiosk, re-encoded and encrypted at rest.

Change a model only together with a new migration; the schema test checks they match.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backoffice_console.hub.db import utcnow
from backoffice_console.hub.db.base import Base


class StoredMaterial(Base):
    """A page captured at the kiosk during a session, validated, re-encoded and encrypted.

    `sha256` is the digest of the bytes the kiosk sent (its idempotency key): one row
    per (session, sha256). `ciphertext` / `thumb_ciphertext` are AES-GCM of the
    re-encoded JPEG and of its thumbnail, the session id as associated data.
    """

    __tablename__ = "materials"
    __table_args__ = (UniqueConstraint("session_id", "sha256", name="uq_materials_session_sha"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosks.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    command_id: Mapped[str | None] = mapped_column(String(64), default=None)
    page_no: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    rejected_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    key_id: Mapped[str] = mapped_column(String(16))
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    thumb_nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    thumb_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
