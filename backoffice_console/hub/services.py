"""The hub's services wired together once per application (`HUB_KEY` on the aiohttp app)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from aiohttp import web

from backoffice_console.hub import __version__
from backoffice_console.hub.accounts import AccountStore
from backoffice_console.hub.auth import RateLimiter
from backoffice_console.hub.calls import CallStore
from backoffice_console.hub.catalogue_store import CatalogueStore
from backoffice_console.hub.config import HubConfig
from backoffice_console.hub.db import Database
from backoffice_console.hub.devices import DeviceRelay
from backoffice_console.hub.identity import IdentityKeyError, IdentityStore, IdentityVault
from backoffice_console.hub.registry import Registry
from backoffice_console.hub.routing import Router
from backoffice_console.hub.signaling import Signaling

log = logging.getLogger(__name__)


@dataclass
class Hub:
    """Everything a request handler needs, built once per application."""

    config: HubConfig
    db: Database
    accounts: AccountStore
    calls: CallStore
    registry: Registry
    signaling: Signaling
    login_limiter: RateLimiter
    ip_limiter: RateLimiter
    identities: IdentityStore
    catalogue: CatalogueStore
    version: str = __version__
    websockets: set[web.WebSocketResponse] = field(default_factory=set)

    @classmethod
    def create(cls, config: HubConfig) -> Hub:
        """Wire the services for `config` (nothing is opened until start-up)."""
        db = Database(config.db_url)
        calls = CallStore(db)
        registry = Registry()
        try:
            vault: IdentityVault | None = IdentityVault.from_file(config.identity_key_file)
        except IdentityKeyError as exc:
            # The hub still serves calls; identities are refused until a key is in place.
            log.error("identity storage disabled: %s", exc)
            vault = None
        identities = IdentityStore(db, vault)
        catalogue = CatalogueStore(db)
        window = config.login_failure_window_s
        return cls(
            config=config,
            db=db,
            accounts=AccountStore(db, config.officer_token_ttl_s, config.device_token_ttl_s),
            calls=calls,
            registry=registry,
            signaling=Signaling(
                calls,
                registry,
                config.ice_servers,
                DeviceRelay(calls, registry, identities),
                router=Router(
                    db,
                    calls,
                    catalogue,
                    priority_ratio=config.priority_ratio,
                    overdue_after_s=config.overdue_after_s,
                ),
            ),
            login_limiter=RateLimiter(config.login_failures_allowed, window),
            # One address may hold several users (a centre behind NAT): a looser limit.
            ip_limiter=RateLimiter(config.login_failures_allowed * 4, window),
            identities=identities,
            catalogue=catalogue,
        )


HUB_KEY = web.AppKey("hub", Hub)
