"""Identities over HTTP: the masked view and the audited reveal of a session's identity.

- `GET /api/v1/sessions/{session_id}/identity`: masked (audited `identity.read`).
- `POST /api/v1/sessions/{session_id}/identity/reveal`: the full number (audited
  `identity.reveal`). Both for the officer holding the session, or an admin.
"""

from __future__ import annotations

import logging

from aiohttp import web

from backoffice_console.hub.calls import CALLS_KEY
from backoffice_console.hub.core.access import allow
from backoffice_console.hub.core.caller import principal_of
from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.http import json_reply, wire
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.core.ws import MESSAGES_KEY
from backoffice_console.hub.identity.service import IdentityDesk
from backoffice_console.hub.identity.store import IDENTITY_KEY, IdentityStore
from shared.protocol import ErrorCode, IdentityReport, Role
from shared.protocol.identity import MaskedIdentity, RevealedIdentity

log = logging.getLogger(__name__)

routes = web.RouteTableDef()


async def _identity_session(request: web.Request) -> tuple[Principal, str, str | None]:
    """The caller, session and stated reason of an identity request.

    Separation of duties: the officer holding the session, or a supervisor who states
    why (`?reason=`, kept in the audit row). Administrators manage accounts and
    configuration and never read residents' identities; nobody else does either.
    """
    calls = request.app[CALLS_KEY].calls
    who = await principal_of(request)
    session_id = request.match_info["session_id"]
    if who.role is Role.SUPERVISOR:
        reason = (request.query.get("reason") or "").strip()
        if not reason or len(reason) > 200:
            raise HubError(ErrorCode.BAD_MESSAGE, "a supervisor states a reason (1-200 characters)")
        if not await calls.list_sessions(session_id=session_id):
            raise HubError(ErrorCode.NOT_FOUND, "no such session")
        return who, session_id, reason
    if who.role is not Role.OFFICER:
        raise HubError(ErrorCode.FORBIDDEN, "the officer holding the session, or a supervisor")
    await calls.holder_check(session_id, who)  # not_in_session (409) otherwise
    return who, session_id, None


@routes.get("/api/v1/sessions/{session_id}/identity")
@wire(request=None, response=MaskedIdentity)
@allow(Role.OFFICER, Role.SUPERVISOR)
async def session_identity(request: web.Request) -> web.Response:
    """The session's newest identity, masked; the read is audited (`identity.read`)."""
    who, session_id, reason = await _identity_session(request)
    stored = await request.app[IDENTITY_KEY].latest(session_id, who, "identity.read", reason)
    data = stored.record.masked()
    data["identity_id"] = stored.identity_id
    return json_reply(data)


@routes.post("/api/v1/sessions/{session_id}/identity/reveal")
@wire(request=None, response=RevealedIdentity)
@allow(Role.OFFICER, Role.SUPERVISOR)
async def reveal_identity(request: web.Request) -> web.Response:
    """The full ID number of the session's newest identity; audited (`identity.reveal`)."""
    who, session_id, reason = await _identity_session(request)
    stored = await request.app[IDENTITY_KEY].latest(session_id, who, "identity.reveal", reason)
    log.info("identity %d revealed to %s %d", stored.identity_id, who.role.value, who.subject_id)
    return json_reply(
        {
            "identity_id": stored.identity_id,
            "name": stored.record.name,
            "id_number": stored.record.id_number,
        }
    )


def setup(app: web.Application) -> None:
    """The identity store, the kiosk's `identity.report` and the identity routes."""
    core = app[CORE_KEY]
    store = IdentityStore(core.db, core.vault, core.bus)
    app[IDENTITY_KEY] = store
    desk = IdentityDesk(app[CALLS_KEY].calls, core.registry, store, core.audit)
    app[MESSAGES_KEY].register((IdentityReport,), (Role.KIOSK,), desk.on_report)
    app.add_routes(routes)
