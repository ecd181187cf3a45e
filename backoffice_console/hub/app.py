"""The hub's aiohttp application: the core, then its domains."""

from __future__ import annotations

from aiohttp import web

from backoffice_console.hub import (
    accounts,
    callbacks,
    calls,
    cases,
    catalogue,
    circulation,
    documents,
    evaluation,
    fleet,
    identity,
    materials,
    metrics,
    reports,
    routing,
)
from backoffice_console.hub.core import routes as core
from backoffice_console.hub.core.config import HubConfig
from backoffice_console.hub.core.domains import Domain, set_up

DOMAINS: tuple[Domain, ...] = (
    accounts.DOMAIN,
    catalogue.DOMAIN,
    calls.DOMAIN,
    identity.DOMAIN,
    routing.DOMAIN,
    cases.DOMAIN,
    materials.DOMAIN,
    documents.DOMAIN,
    evaluation.DOMAIN,
    circulation.DOMAIN,
    callbacks.DOMAIN,
    reports.DOMAIN,
    fleet.DOMAIN,
    metrics.DOMAIN,
)
"""Every domain of the hub (`set_up` orders them by what each needs)."""


def build_app(config: HubConfig) -> web.Application:
    """The aiohttp application of a hub with `config` (run it with an AppRunner)."""
    app = web.Application(client_max_size=64 * 1024)
    core.setup(app, config)
    set_up(app, DOMAINS)
    return app
