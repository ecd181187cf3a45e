"""The declarative base every hub table derives from (tables live in their domains)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy.orm import DeclarativeBase

from backoffice_console.hub.db.types import UTCDateTime


class Base(DeclarativeBase):
    """Declarative base of every hub table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime()}
