"""The hub: the acceptance centre's server (presence, queue, signaling, HTTP API, audit log).

Run it with `vw-hub` (see `backoffice_console.hub.__main__`). Nothing here imports Qt.
"""

from shared.version import package_version

__version__ = package_version()
"""The installed distribution's version (what `--version` and `/api/v1/health` report)."""
