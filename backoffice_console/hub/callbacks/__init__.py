"""Callbacks: call-back requests residents leave at a kiosk outside service hours.

Other domains use what is named here and nothing else of this package.
"""

from backoffice_console.hub.callbacks.routes import setup
from backoffice_console.hub.callbacks.service import CALLBACKS_KEY, Callbacks
from backoffice_console.hub.core.domains import Domain

DOMAIN = Domain("callbacks", setup, needs=("accounts", "catalogue"))

__all__ = ["CALLBACKS_KEY", "DOMAIN", "Callbacks"]
