"""Who may call a route: each handler declares it (`@allow`), one middleware enforces it.

The rule sits with the route, under its `@wire`: `@allow(Role.ADMIN)`, `@allow(*STAFF)`,
`@allow(PUBLIC)` (no token: log-in, enrolment, health) or `@allow(SIGNED_IN)` (any
valid token). `access_middleware` refuses a caller whose role the rule does not name
(401 without a token, 403 with the wrong role) before the handler runs, and answers
500 for a route with no rule at all: a route nobody thought about is closed, and
`tests/hub/core/test_access.py` fails on it. Handlers keep their finer checks (the
officer holding this session, the kiosk at this point); the rule is the coarse gate.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

from backoffice_console.hub.core.caller import principal_of
from backoffice_console.hub.core.errors import HubError
from shared.protocol import ErrorCode, Role

log = logging.getLogger(__name__)

H = TypeVar("H", bound=Callable[..., Awaitable[Any]])

PUBLIC = "public"
"""No token needed."""
SIGNED_IN = "signed_in"
"""Any valid token, of any role (a kiosk too)."""

USERS = (Role.OFFICER, Role.SUPERVISOR, Role.TECHNICIAN, Role.ADMIN, Role.AUDITOR)
"""Every person who logs in."""
CASE_WORKERS = (Role.OFFICER, Role.SUPERVISOR, Role.ADMIN)
"""Who works with cases and residents' papers (never technicians or auditors)."""
FLEET = (Role.TECHNICIAN, Role.ADMIN)
"""Who keeps the devices and points."""


@dataclass(frozen=True)
class Access:
    """A route's rule: `PUBLIC`, `SIGNED_IN`, or the roles that may call it."""

    kind: str
    roles: frozenset[Role] = frozenset()

    def allows(self, role: Role) -> bool:
        """Whether a caller of `role` (with a valid token) passes."""
        return self.kind in (PUBLIC, SIGNED_IN) or role in self.roles

    def describe(self) -> str:
        """The rule in a few words (for test failures and logs)."""
        if self.kind != "roles":
            return self.kind
        return ",".join(sorted(r.value for r in self.roles))


def allow(*who: str | Role) -> Callable[[H], H]:
    """Declare who may call the handler below it (see the module docstring)."""
    if len(who) == 1 and who[0] in (PUBLIC, SIGNED_IN):
        rule = Access(str(who[0]))
    else:
        if not who or not all(isinstance(w, Role) for w in who):
            raise ValueError("allow(PUBLIC), allow(SIGNED_IN) or allow(role, ...)")
        rule = Access("roles", frozenset(w for w in who if isinstance(w, Role)))

    def mark(handler: H) -> H:
        handler.__access__ = rule  # type: ignore[attr-defined]
        return handler

    return mark


def access_of(handler: Any) -> Access | None:
    """The rule `allow` declared on `handler`, if any."""
    found = getattr(handler, "__access__", None)
    return found if isinstance(found, Access) else None


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def access_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Enforce the matched route's `allow` rule before its handler runs."""
    info = request.match_info
    if info.http_exception is not None:  # no such route: aiohttp's 404/405 follows
        return await handler(request)
    rule = access_of(info.handler)
    if rule is None:
        log.error("%s %s has no access rule: refused", request.method, request.path)
        raise HubError(ErrorCode.INTERNAL, "this route has no access rule")
    if rule.kind == PUBLIC:
        return await handler(request)
    who = await principal_of(request)  # 401 without a valid token
    if not rule.allows(who.role):
        raise HubError(ErrorCode.FORBIDDEN, f"not allowed for the {who.role.value} role")
    return await handler(request)
