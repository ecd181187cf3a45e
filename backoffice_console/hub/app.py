"""The hub's aiohttp application: services wired together, routes, start-up and shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import WSCloseCode, web

from backoffice_console.hub import api, documents, ws
from backoffice_console.hub.callbacks import setup_callbacks
from backoffice_console.hub.cases import setup_cases
from backoffice_console.hub.catalogue import setup_catalogue
from backoffice_console.hub.config import HubConfig
from backoffice_console.hub.evaluation_routes import setup_evaluation
from backoffice_console.hub.fleet import setup_fleet
from backoffice_console.hub.material_export import setup_material_export
from backoffice_console.hub.materials import setup_materials
from backoffice_console.hub.reports_http import setup_reports
from backoffice_console.hub.routing_http import setup_routing
from backoffice_console.hub.services import HUB_KEY, Hub

log = logging.getLogger(__name__)


async def _startup(app: web.Application) -> None:
    hub = app[HUB_KEY]
    await hub.db.migrate()
    await hub.catalogue.current()  # seeds the sample catalogue into a new hub
    tickets, sessions = await hub.calls.close_leftovers("hub_restart")
    if tickets or sessions:
        log.info("closed %d stale tickets and %d stale sessions", tickets, sessions)


async def _shutdown(app: web.Application) -> None:
    hub = app[HUB_KEY]
    hub.signaling.stopping = True
    closing = [
        socket.close(code=WSCloseCode.GOING_AWAY, message=b"hub shutting down")
        for socket in list(hub.websockets)
    ]
    # In parallel and bounded: a client that never answers the close must not hold us up.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*closing, return_exceptions=True), 5.0)
    await hub.calls.close_leftovers("hub_stop")


async def _cleanup(app: web.Application) -> None:
    await app[HUB_KEY].db.dispose()


def build_app(config: HubConfig) -> web.Application:
    """The aiohttp application of a hub with `config` (run it with an AppRunner)."""
    app = web.Application(middlewares=[api.error_middleware], client_max_size=64 * 1024)
    app[HUB_KEY] = Hub.create(config)
    api.add_routes(app)
    documents.add_routes(app)
    ws.add_routes(app)
    setup_materials(app)
    setup_material_export(app)
    setup_routing(app)
    setup_callbacks(app)
    setup_cases(app)
    setup_catalogue(app)
    setup_reports(app)
    setup_evaluation(app)
    app.on_startup.append(_startup)
    setup_fleet(app)  # after _startup: its own start-up step needs the migrated tables
    app.on_shutdown.append(_shutdown)
    app.on_cleanup.append(_cleanup)
    return app
