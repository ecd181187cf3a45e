"""The accounts domain's service: its store and the login and device rate limits."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from backoffice_console.hub.accounts.secrets import RateLimiter
from backoffice_console.hub.accounts.store import AccountStore
from backoffice_console.hub.core.context import HubCore
from backoffice_console.hub.core.ws import Connected


@dataclass
class Accounts:
    """Users' and kiosks' credentials, and the limits on failed attempts."""

    store: AccountStore
    login_limiter: RateLimiter
    ip_limiter: RateLimiter

    @classmethod
    def create(cls, core: HubCore) -> Accounts:
        """The accounts of the hub with `core`'s configuration and database."""
        config = core.config
        window = config.login_failure_window_s
        return cls(
            store=AccountStore(core.db, config.officer_token_ttl_s, config.device_token_ttl_s),
            login_limiter=RateLimiter(config.login_failures_allowed, window),
            # One address may hold several users (a centre behind NAT): a looser limit.
            ip_limiter=RateLimiter(config.login_failures_allowed * 4, window),
        )

    async def on_connected(self, event: Connected) -> None:
        """A kiosk that connects has been seen now."""
        if event.conn.principal.is_kiosk:
            await self.store.touch_kiosk(event.conn.principal.subject_id)


ACCOUNTS_KEY = web.AppKey("accounts", Accounts)
