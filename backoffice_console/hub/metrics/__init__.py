"""Metrics: `/metrics` in the Prometheus text format, for the centre's monitoring.

It listens to the events the other domains already publish (connections, calls taken,
media states, device commands) and reads gauges (queue, live calls, connected clients,
kiosks' failing parts) from their services at each scrape; an HTTP middleware counts
error replies and page uploads. Other domains use what is named here and nothing else.
"""

from backoffice_console.hub.core.domains import Domain
from backoffice_console.hub.metrics.routes import setup
from backoffice_console.hub.metrics.service import METRICS_KEY, HubMetrics

DOMAIN = Domain("metrics", setup, needs=("accounts", "calls", "fleet"))

__all__ = ["DOMAIN", "METRICS_KEY", "HubMetrics"]
