"""Routing: who serves which ticket ("whole-city service"): lines, priorities, served order.

Other domains use what is named here and nothing else of this package.
"""

from backoffice_console.hub.core.domains import Domain
from backoffice_console.hub.routing.routes import setup
from backoffice_console.hub.routing.service import (
    ALL_LINES,
    QUALIFIED_ROLES,
    ROUTING_KEY,
    Router,
    parse_lines,
    qualified,
    set_lines_offline,
)

DOMAIN = Domain("routing", setup, needs=("calls", "catalogue"))

__all__ = [
    "ALL_LINES",
    "DOMAIN",
    "QUALIFIED_ROLES",
    "ROUTING_KEY",
    "Router",
    "parse_lines",
    "qualified",
    "set_lines_offline",
]
