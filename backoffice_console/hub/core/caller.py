"""Who is calling: the principal behind a request's token, and the cap on those without one.

- `principal_of` is the caller behind `Authorization: Bearer <token>`, resolved once per
  request; a refused token is an audit row (who tried what, from where; never the token).
- `anonymous_limit_middleware`: at most `HubConfig.anonymous_per_address` requests without
  credentials in flight per address.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.core.errors import HubError, Unauthorized
from backoffice_console.hub.core.principal import Principal
from shared.protocol import ErrorCode

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _AnonymousSlot:
    """One request counted against its address until its caller is known (or it ends)."""

    def __init__(self, counts: dict[str, int], address: str) -> None:
        self._counts, self._address, self._held = counts, address, True
        counts[address] = counts.get(address, 0) + 1

    def release(self) -> None:
        if not self._held:
            return
        self._held = False
        left = self._counts[self._address] - 1
        if left:
            self._counts[self._address] = left
        else:
            del self._counts[self._address]


_ANONYMOUS_SLOT = web.RequestKey("anonymous_slot", _AnonymousSlot)


@web.middleware
async def anonymous_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """At most `anonymous_per_address` requests not (yet) authenticated in flight per address.

    Log-in, enrolment and device tokens need no credentials; one address holding many
    requests open at once (slow bodies) is refused with 429 instead of tying up the hub.
    A request counts until `principal_of` has resolved its caller, so an `Authorization`
    header alone (a made-up token) does not get around the cap; while the cap is reached,
    a request with valid credentials from that address is still served.
    """
    core = request.app[CORE_KEY]
    address = request.remote or "?"
    if core.anonymous.get(address, 0) >= core.config.anonymous_per_address:
        if "Authorization" not in request.headers:
            raise HubError(ErrorCode.RATE_LIMITED, "too many requests without credentials")
        await principal_of(request)  # a known caller still gets through; a made-up one: 401
        return await handler(request)
    slot = _AnonymousSlot(core.anonymous, address)
    request[_ANONYMOUS_SLOT] = slot
    try:
        return await handler(request)
    finally:
        slot.release()


_PRINCIPAL = "vw.principal"


async def principal_of(request: web.Request) -> Principal:
    """The caller behind `Authorization: Bearer <token>`; raises `Unauthorized`."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token")
    cached = request.get(_PRINCIPAL)
    if isinstance(cached, Principal):  # resolved once per request (the access check did)
        return cached
    core = request.app[CORE_KEY]
    try:
        who = await core.authenticator().resolve(token.strip())
    except Unauthorized as exc:
        # A refused token is a security event: who tried what, from where (never the token).
        await core.audit.write(
            None, "auth.token_refused", path=request.path[:200],
            source=request.remote or "", why=exc.message,
        )  # fmt: skip
        raise
    request[_PRINCIPAL] = who
    slot = request.get(_ANONYMOUS_SLOT)
    if isinstance(slot, _AnonymousSlot):
        slot.release()  # a known caller no longer counts against the anonymous cap
    return who
