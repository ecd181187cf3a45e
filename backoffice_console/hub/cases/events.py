"""What the cases domain tells the rest of the hub (see `core.events`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backoffice_console.hub.cases.models import Case


@dataclass(frozen=True)
class ProgressAsked:
    """A resident's progress look-up matched `case`; listeners add keys to `extras`.

    The answer is the case's public view updated with `extras` (circulation adds
    `originals`: where the case's originals are). Nothing personal goes in.
    """

    case: Case
    extras: dict[str, Any] = field(default_factory=dict)
