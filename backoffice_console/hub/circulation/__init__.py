"""Circulation: originals travelling with a transmittal slip, scanned hop by hop (原件流转).

Other domains use what is named here and nothing else of this package.
"""

from backoffice_console.hub.circulation.models import Circulation, CirculationHop
from backoffice_console.hub.circulation.routes import setup
from backoffice_console.hub.circulation.service import (
    CIRCULATION_KEY,
    CirculationService,
    code_from_scan,
)
from backoffice_console.hub.core.domains import Domain

DOMAIN = Domain("circulation", setup, needs=("calls", "cases", "evaluation", "documents"))

__all__ = [
    "CIRCULATION_KEY",
    "DOMAIN",
    "Circulation",
    "CirculationHop",
    "CirculationService",
    "code_from_scan",
]
