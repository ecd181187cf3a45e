"""Catalogue versions (issue 6): every imported version kept, one current.

A version's body is the validated catalogue as canonical JSON; `sha256` is the
digest of that body, so importing the same catalogue twice finds the old row.
Cases record `catalogue_version_id`, so a version is never deleted.

Change a model only together with its migration; tests/hub/db/test_migrations.py checks they match.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backoffice_console.hub.db import utcnow
from backoffice_console.hub.db.base import Base

__all__ = ["Base", "CatalogueVersion"]


class CatalogueVersion(Base):
    """One imported catalogue version; exactly one row has `current` set."""

    __tablename__ = "catalogue_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(64))
    """The catalogue's own `version` string."""
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(8))  # json | csv (what was imported)
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    imported_by: Mapped[int | None] = mapped_column(Integer, default=None)
    """The admin's user id; None for the sample seeded on first start."""
    activated_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    current: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
