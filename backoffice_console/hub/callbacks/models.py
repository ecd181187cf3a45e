"""Call-back requests left at a kiosk outside service hours (issue 6).

The phone number and the resident's note are personal data: they are only ever
held encrypted (`ciphertext`, AES-GCM under the identity vault's key `key_id`,
with `"callback:" + ref` as associated data, so a row copied elsewhere does not
decrypt). Everything else is in clear for listing and reports.

Change a model only together with its migration; tests/hub/db/test_migrations.py checks they match.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from backoffice_console.hub.db import utcnow
from backoffice_console.hub.db.base import Base

__all__ = ["Base", "CallbackRequest"]


class CallbackRequest(Base):
    """A resident asked to be called back about a matter; open until an officer marks it done."""

    __tablename__ = "callback_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    """Random reference; the associated data of the encryption."""
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosks.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    matter_code: Mapped[str] = mapped_column(String(64))
    catalogue_version_id: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    key_id: Mapped[str] = mapped_column(String(16))
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    """open | done."""
    done_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    done_note: Mapped[str | None] = mapped_column(String(500), default=None)
