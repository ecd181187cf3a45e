"""Documents: receipts, slips and forms the hub renders for a session; forms signed at the kiosk.

Other domains use what is named here and nothing else of this package.
"""

from backoffice_console.hub.core.domains import Domain
from backoffice_console.hub.documents.events import SlipIssued
from backoffice_console.hub.documents.models import StoredDocument
from backoffice_console.hub.documents.routes import setup
from backoffice_console.hub.documents.service import DOCUMENTS_KEY, DocumentService

DOMAIN = Domain("documents", setup, needs=("calls", "catalogue", "identity", "cases", "materials"))

__all__ = [
    "DOCUMENTS_KEY",
    "DOMAIN",
    "DocumentService",
    "SlipIssued",
    "StoredDocument",
]
