"""Sockets live only as long as their log-in: re-checked on a timer and before each message.

A log-in ends when its access token runs out unrefreshed, when it is logged out or
revoked, or when its account or kiosk is disabled. The hub instance that does the
revoking closes the sockets it holds at once (the accounts service); every instance
also re-checks all its sockets every `session_recheck_s` and before handling any
client message, so a revocation made on another instance, or an expiry, takes effect
within that period, and no message is ever carried out for an ended log-in.
"""

from __future__ import annotations

import asyncio
import logging

from backoffice_console.hub.core.connections import Connection
from backoffice_console.hub.core.context import HubCore

log = logging.getLogger(__name__)


async def still_holds(core: HubCore, conn: Connection) -> bool:
    """Whether `conn`'s log-in holds; if not, its socket is closed with the reason."""
    login_id = conn.principal.login_id
    if login_id is None:
        return True
    ended = (await core.authenticator().ended([login_id])).get(login_id)
    if ended is None:
        return True
    log.info("%r: log-in %d ended (%s); closing", conn, login_id, ended.reason)
    await conn.close(ended.code, ended.reason)
    return False


async def recheck_all(core: HubCore) -> int:
    """Close every socket of this instance whose log-in has ended; how many were closed."""
    conns = [c for c in core.registry.all() if c.principal.login_id is not None and c.open]
    if not conns:
        return 0
    ended = await core.authenticator().ended(
        {c.principal.login_id for c in conns if c.principal.login_id}
    )
    closing = [c for c in conns if c.principal.login_id in ended]
    for conn in closing:
        why = ended[conn.principal.login_id]  # type: ignore[index]
        log.info("%r: log-in ended (%s); closing", conn, why.reason)
        await conn.close(why.code, why.reason)
    return len(closing)


async def keep_checking(core: HubCore) -> None:
    """Run `recheck_all` every `session_recheck_s` until cancelled (errors are logged)."""
    while True:
        await asyncio.sleep(core.config.session_recheck_s)
        try:
            await recheck_all(core)
        except Exception:
            log.exception("re-checking the sockets' log-ins failed")
