"""The console's routing actions: 接下一位 (next ticket by the rules) and call transfer.

Errors come back as `ConsoleError` with a "routing" translation key the UI shows.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from pydantic import ValidationError

from backoffice_console.model import ConsoleError, Phase
from shared.hubclient import HubError, HubRequestError
from shared.protocol.http import invalid_text
from shared.protocol.routing import SessionTransfer, TicketNext, TransferTargets

if TYPE_CHECKING:
    from backoffice_console.app import ConsoleController

log = logging.getLogger(__name__)

_ERROR_KEYS = {
    "not_found": "error.not_found",
    "forbidden": "error.forbidden",
    "conflict": "error.busy_officer",
    "bad_state": "error.bad_state",
    "not_in_session": "error.not_in_session",
}


__all__ = ["RoutingDesk", "TransferTargets"]


def _error(exc: HubRequestError) -> ConsoleError:
    return ConsoleError(_ERROR_KEYS.get(exc.code, "error.failed"), exc.message)


class RoutingDesk:
    """Routing actions on top of a logged-in `ConsoleController`."""

    def __init__(self, controller: ConsoleController) -> None:
        self._c = controller

    async def take_next(self) -> None:
        """Take the next ticket of my lines by the queue's rules; `error.not_found` if none."""
        c = self._c
        if c.hub is None or c.phase is Phase.LOGGED_OUT:
            raise ConsoleError("error.not_logged_in")
        if c.phase is not Phase.QUEUE:
            raise ConsoleError("error.bad_state")
        c.phase = Phase.TAKING
        clicked_at = time.time()
        try:
            await c.hub.request(TicketNext())
        except HubRequestError as exc:
            if c.phase is Phase.TAKING:
                c.phase = Phase.QUEUE
            raise _error(exc) from None
        except HubError as exc:
            if c.phase is Phase.TAKING:
                c.phase = Phase.QUEUE
            raise ConsoleError("error.failed", str(exc)) from None
        c.stats.took_at = clicked_at
        log.info("took the next ticket")

    async def targets(self) -> TransferTargets:
        """Who can take the current call now, and the lines it can be queued to.

        `GET /api/v1/routing/sessions/{id}/targets`: the online, free officers qualified
        for the call's line, and the catalogue's lines.
        """
        c = self._c
        if c.hub is None or c.call is None:
            raise ConsoleError("error.not_in_session")
        try:
            data = await c.hub.get_json(f"/api/v1/routing/sessions/{c.call.session_id}/targets")
            return TransferTargets.model_validate(data)
        except HubRequestError as exc:
            raise _error(exc) from None
        except HubError as exc:
            raise ConsoleError("error.failed", str(exc)) from None
        except ValidationError as exc:
            raise ConsoleError("error.failed", invalid_text(exc)) from None

    async def transfer(
        self, *, to_officer_id: int | None = None, to_line: str | None = None, note: str = ""
    ) -> None:
        """Hand the current call to an officer or a line; the hub then ends it here."""
        c = self._c
        if c.hub is None or c.call is None:
            raise ConsoleError("error.not_in_session")
        message = SessionTransfer(
            session_id=c.call.session_id,
            to_officer_id=to_officer_id,
            to_line=to_line,
            note=note.strip()[:200] or None,
        )
        try:
            await c.hub.request(message)
        except HubRequestError as exc:
            raise _error(exc) from None
        except HubError as exc:
            raise ConsoleError("error.failed", str(exc)) from None
        log.info("transferred the call (%s)", "officer" if to_officer_id else "line")
