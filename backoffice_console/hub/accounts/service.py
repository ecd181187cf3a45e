"""The accounts service: its stores, the login limits, closing the sockets of ended log-ins."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from dataclasses import dataclass

from aiohttp import web

from backoffice_console.hub.accounts.lifecycle import AccountLifecycle
from backoffice_console.hub.accounts.logins import Lifetimes, LoginStore
from backoffice_console.hub.accounts.store import AccountStore
from backoffice_console.hub.accounts.throttle import ThrottleStore
from backoffice_console.hub.accounts.totp import TotpStore
from backoffice_console.hub.core.config import HubConfig
from backoffice_console.hub.core.connections import Registry
from backoffice_console.hub.core.context import HubCore
from backoffice_console.hub.core.vault import IdentityVault
from backoffice_console.hub.core.ws import Connected
from backoffice_console.hub.db import Database

log = logging.getLogger(__name__)


def account_store(
    db: Database, config: HubConfig, vault: IdentityVault | None = None
) -> AccountStore:
    """The account store of a hub with `config` on `db` (the server and the CLI alike;
    without `vault`, accounts with a second factor cannot log in)."""
    lifetimes = Lifetimes(
        user_access=dt.timedelta(seconds=config.access_token_ttl_s),
        user_login=dt.timedelta(seconds=config.officer_token_ttl_s),
        device_access=dt.timedelta(seconds=config.device_token_ttl_s),
        device_login=dt.timedelta(seconds=config.device_login_ttl_s),
    )
    logins = LoginStore(db, lifetimes)
    totp = TotpStore(db, vault, logins)
    return AccountStore(db, logins, config.password_min_length, totp)


@dataclass
class Accounts:
    """Users' and kiosks' credentials, and the limits on failed attempts."""

    store: AccountStore
    lifecycle: AccountLifecycle
    registry: Registry
    pair_limit: ThrottleStore
    """Failed log-ins of one account from one address: blocks only that pair."""
    address_limit: ThrottleStore
    """Failures of any kind from one address, across accounts (looser: a centre's NAT)."""

    @classmethod
    def create(cls, core: HubCore) -> Accounts:
        """The accounts of the hub with `core`'s configuration and database."""
        config = core.config
        window = config.login_failure_window_s
        store = account_store(core.db, config, core.vault)
        return cls(
            store=store,
            lifecycle=AccountLifecycle(core.db, store.logins),
            registry=core.registry,
            pair_limit=ThrottleStore(core.db, config.login_failures_allowed, window),
            # One address may hold several users (a centre behind NAT): a looser limit.
            address_limit=ThrottleStore(core.db, config.login_failures_allowed * 4, window),
        )

    @property
    def logins(self) -> LoginStore:
        """Log-ins and tokens."""
        return self.store.logins

    async def close_logins(self, login_ids: Collection[int], code: int, reason: str) -> int:
        """Close this instance's sockets of `login_ids` at once; how many were closed.

        Other hub instances close theirs at their next re-check (`core.guard`).
        """
        wanted = set(login_ids)
        closing = [c for c in self.registry.all() if c.principal.login_id in wanted]
        for conn in closing:
            log.info("%r: closing (%s)", conn, reason)
            await conn.close(code, reason)
        return len(closing)

    async def on_connected(self, event: Connected) -> None:
        """A kiosk that connects has been seen now."""
        if event.conn.principal.is_kiosk:
            await self.store.touch_kiosk(event.conn.principal.subject_id)


ACCOUNTS_KEY = web.AppKey("accounts", Accounts)
