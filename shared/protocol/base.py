"""Building blocks every message model shares: the version, base classes, bounded field types."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.protocol.wirejson import DAY_MAX, DAY_MIN, ID_MAX

PROTOCOL_VERSION: Literal[1] = 1

RequestId = Annotated[str, Field(min_length=1, max_length=64)]
SessionId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
ShortText = Annotated[str, Field(max_length=200)]
DbId = Annotated[int, Field(ge=1, le=ID_MAX)]
"""An id a client sends (a ticket, a point, a device): within what the hub's id columns hold."""
Day = Annotated[dt.date, Field(ge=DAY_MIN, le=DAY_MAX)]
"""A calendar day a client names for the service (not a birth date): within `wirejson`'s
bounds, far from `date.min`/`date.max`, so day arithmetic never overflows."""


class Model(BaseModel):
    """Strict, immutable: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Message(Model):
    """A top-level message: carries the protocol version."""

    v: Literal[1] = PROTOCOL_VERSION


class Request(Message):
    """A client message; the hub answers an `id` with an `Ack` or an `ErrorReply`."""

    id: RequestId | None = None
