"""Catalogue: the matter catalogue's versions, one current, imported with validation and a diff.

Other domains use what is named here and nothing else of this package.
"""

from backoffice_console.hub.catalogue.models import CatalogueVersion
from backoffice_console.hub.catalogue.routes import CATALOGUE_KEY, setup
from backoffice_console.hub.catalogue.service import import_catalogue_cli
from backoffice_console.hub.catalogue.store import CatalogueStore, current_in
from backoffice_console.hub.core.domains import Domain

DOMAIN = Domain("catalogue", setup)

__all__ = [
    "CATALOGUE_KEY",
    "DOMAIN",
    "CatalogueStore",
    "CatalogueVersion",
    "current_in",
    "import_catalogue_cli",
]
