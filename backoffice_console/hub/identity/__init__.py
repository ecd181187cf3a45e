"""Identity: residents' identities in sessions, validated, encrypted at rest, audited on read.

Other domains use what is named here and nothing else of this package.
"""

from backoffice_console.hub.core.domains import Domain
from backoffice_console.hub.identity.events import IdentityStored
from backoffice_console.hub.identity.models import StoredIdentity
from backoffice_console.hub.identity.routes import setup
from backoffice_console.hub.identity.service import (
    InvalidIdentity,
    identity_update,
    validate_identity,
)
from backoffice_console.hub.identity.store import IDENTITY_KEY, IdentityStore

DOMAIN = Domain("identity", setup, needs=("calls",))

__all__ = [
    "DOMAIN",
    "IDENTITY_KEY",
    "IdentityStore",
    "IdentityStored",
    "InvalidIdentity",
    "StoredIdentity",
    "identity_update",
    "validate_identity",
]
