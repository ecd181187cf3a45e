"""Materials: pages the kiosk captures, validated, stored encrypted, read and exported audited.

Other domains use what is named here and nothing else of this package.
"""

from backoffice_console.hub.core.domains import Domain
from backoffice_console.hub.materials.models import StoredMaterial
from backoffice_console.hub.materials.routes import setup
from backoffice_console.hub.materials.service import MATERIALS_KEY, MaterialService

DOMAIN = Domain("materials", setup, needs=("calls", "cases"))

__all__ = [
    "DOMAIN",
    "MATERIALS_KEY",
    "MaterialService",
    "StoredMaterial",
]
