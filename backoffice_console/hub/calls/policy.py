"""What the calls domain asks of the queue's rules (the routing domain answers).

Calls keeps tickets and sessions; which ticket is served next, who may take it
and what a kiosk's join means are routing's rules. Routing installs itself as
the policy at its set-up (`CallsService.use_policy`), so calls never imports it.
"""

from __future__ import annotations

from typing import Any, Protocol

from backoffice_console.hub.core.principal import Principal
from shared.protocol import QueueJoin, QueueSnapshot, TicketInfo

Waiting = list[tuple[int, TicketInfo]]
"""Waiting tickets in served order, as `(kiosk_id, TicketInfo)`."""


class QueuePolicy(Protocol):
    """The queue rules calls applies (see the module docstring)."""

    async def join_fields(self, message: QueueJoin) -> dict[str, Any]:
        """The ticket's routing fields for a join (priority, line, assistance); may refuse."""
        ...

    async def served(self) -> Waiting:
        """Every waiting ticket in served order."""
        ...

    async def snapshot_for(self, who: Principal, served: Waiting | None = None) -> QueueSnapshot:
        """The queue as `who` sees it."""
        ...

    async def check_take(self, ticket_id: int, officer: Principal) -> None:
        """Refuse (HubError) a take the officer is not qualified for."""
        ...

    async def next_for(self, officer: Principal) -> int:
        """The ticket `officer` should take next; HubError when there is none."""
        ...

    def takes_calls(self, role: str) -> bool:
        """Whether users of `role` take calls at all."""
        ...

    async def may_take(self, user_id: int, line: str | None) -> bool:
        """Whether user `user_id` is qualified for calls of `line`."""
        ...

    async def check_transfer_line(self, line: str) -> None:
        """Refuse (HubError) a line a call cannot be transferred to."""
        ...
