"""Fleet: service points and their history, opening hours, devices, kiosk presence and health,
inspections, work orders, and the government map's feed.

It listens to `core.ws.Connected`/`Disconnected` (kiosk presence) and refuses
`calls.QueueJoining` at a closed point. Other domains use what is named here and
nothing else of this package.
"""

from backoffice_console.hub.core.domains import Domain
from backoffice_console.hub.fleet.routes import setup
from backoffice_console.hub.fleet.service import FLEET_KEY, Fleet

DOMAIN = Domain("fleet", setup, needs=("accounts", "calls"))

__all__ = ["DOMAIN", "FLEET_KEY", "Fleet"]
