"""The hub: the acceptance centre's server (presence, queue, signaling, HTTP API, audit log).

Run it with `vw-hub` (see `backoffice_console.hub.__main__`). Nothing here imports Qt.
"""

__version__ = "0.1.0"
