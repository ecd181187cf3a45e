"""Whole-city routing: ticket priority and line, officers' lines, served order, overdue flags.

Any officer of any centre may take any ticket of a line they are qualified for
(`users.lines`, `["*"]` = all). A ticket's line is the line of its matter in the
current catalogue (None when there is no catalogue or the matter is not in it:
visible to every officer). The order is `queue_order.served_order` over the
whole city's take history. Only the 70+ flag is kept, never the birth date.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web
from sqlalchemy import select, update

from backoffice_console.hub.accounts import User
from backoffice_console.hub.calls import TAKEN, WAITING, CallStore, Ticket
from backoffice_console.hub.catalogue import CatalogueStore
from backoffice_console.hub.core.audit import audit_entry
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db import Database, utcnow
from backoffice_console.hub.routing import queue_order
from shared.catalogue import Catalogue
from shared.protocol import ErrorCode, QueueJoin, QueueSnapshot, Role, TicketInfo

log = logging.getLogger(__name__)

ALL_LINES = "*"
LINE_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
HISTORY_TAKES = 50
"""How many recent takes are read to find the current priority streak."""
QUALIFIED_ROLES = (Role.OFFICER.value, Role.ADMIN.value)
"""Who takes calls (supervisors close rectifications and see reports; they take no calls)."""

Waiting = list[tuple[int, TicketInfo]]


def qualified(lines: list[str], line: str | None) -> bool:
    """Whether an officer with `lines` may see and take a ticket of `line`."""
    return line is None or ALL_LINES in lines or line in lines


class CatalogueLookup:
    """The current catalogue as the routing rules need it (just the `Catalogue`)."""

    def __init__(self, store: CatalogueStore) -> None:
        self._store = store

    async def current(self) -> Catalogue:
        """The current catalogue."""
        return (await self._store.current())[1]


class Router:
    """Routing state and rules on top of `CallStore` (see module docstring)."""

    def __init__(
        self,
        db: Database,
        calls: CallStore,
        catalogue: CatalogueStore,
        *,
        priority_ratio: int,
        overdue_after_s: float,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.db = db
        self.calls = calls
        self.priority_ratio = priority_ratio
        self.overdue_after_s = overdue_after_s
        self._today = today
        self.catalogue = CatalogueLookup(catalogue)
        self._lines: dict[int, list[str]] = {}

    # --- officers' lines -----------------------------------------------------

    async def lines_of(self, user_id: int) -> list[str]:
        """The line codes a user is qualified for (cached; `set_lines` refreshes it)."""
        cached = self._lines.get(user_id)
        if cached is not None:
            return cached
        async with self.db.session() as s:
            lines = await s.scalar(select(User.lines).where(User.id == user_id))
        result = list(lines) if lines else []
        self._lines[user_id] = result
        return result

    async def check_lines(self, lines: list[str]) -> list[str]:
        """Validated, de-duplicated line codes; unknown lines refused when a catalogue is loaded."""
        clean = list(dict.fromkeys(code.strip() for code in lines))
        if not clean or len(clean) > 100:
            raise HubError(ErrorCode.BAD_MESSAGE, "give 1 to 100 line codes (or *)")
        bad = [code for code in clean if code != ALL_LINES and not LINE_CODE.match(code)]
        if bad:
            raise HubError(ErrorCode.BAD_MESSAGE, f"not a line code: {bad[0][:64]!r}")
        catalogue = await self.catalogue.current()
        unknown = [c for c in clean if c != ALL_LINES and catalogue.line(c) is None]
        if unknown:
            raise HubError(ErrorCode.NOT_FOUND, f"no such line: {unknown[0]}")
        return clean

    async def set_lines(self, actor: Principal | None, user_id: int, lines: list[str]) -> list[str]:
        """Set the lines of an officer (audited); `not_found` for no such officer."""
        clean = await self.check_lines(lines)
        async with self.db.session() as s, s.begin():
            user = await s.get(User, user_id)
            if user is None or user.role not in QUALIFIED_ROLES:
                raise HubError(ErrorCode.NOT_FOUND, "no such officer")
            user.lines = clean
            s.add(audit_entry(actor, "user.lines", user_id=user_id, lines=clean))
        self._lines[user_id] = clean
        return clean

    async def officers(self) -> list[dict[str, Any]]:
        """Active users who take calls: id, display name, lines."""
        async with self.db.session() as s:
            rows = await s.execute(
                select(User.id, User.display_name, User.lines, User.role)
                .where(User.active.is_(True), User.role.in_(QUALIFIED_ROLES))
                .order_by(User.id)
            )
            return [
                {"id": uid, "display_name": name, "lines": list(lines or []), "role": role}
                for uid, name, lines, role in rows
            ]

    # --- what calls asks of routing (calls.QueuePolicy) -----------------------

    def takes_calls(self, role: str) -> bool:
        """Whether users of `role` take calls (officers and admins)."""
        return role in QUALIFIED_ROLES

    async def may_take(self, user_id: int, line: str | None) -> bool:
        """Whether user `user_id` is qualified for calls of `line`."""
        return qualified(await self.lines_of(user_id), line)

    async def check_transfer_line(self, line: str) -> None:
        """A call goes to one existing line, not to every line."""
        await self.check_lines([line])
        if line == ALL_LINES:
            raise HubError(ErrorCode.BAD_MESSAGE, "transfer to one line, not *")

    # --- joining -------------------------------------------------------------

    async def join_fields(self, message: QueueJoin) -> dict[str, Any]:
        """Priority, line and assistance of a join (the birth date is used, never kept)."""
        today = self._today()
        if message.birth_date is not None and not (
            dt.date(today.year - 150, 1, 1) <= message.birth_date <= today
        ):
            raise HubError(ErrorCode.BAD_MESSAGE, "queue.join: birth_date is not a plausible date")
        line = None
        if message.matter is not None:
            matter = (await self.catalogue.current()).matter(message.matter)
            if matter is None:
                raise HubError(ErrorCode.NOT_FOUND, f"queue.join: no matter {message.matter!r}")
            if not matter.remote:
                raise HubError(
                    ErrorCode.BAD_STATE, f"queue.join: {matter.code} is handled at the centre only"
                )
            line = matter.line
        return {
            "priority": queue_order.join_priority(message.birth_date, message.assistance, today),
            "line": line,
            "assistance": message.assistance,
        }

    # --- the served order ----------------------------------------------------

    async def _history(self) -> list[str]:
        async with self.db.session() as s:
            rows = await s.scalars(
                select(Ticket.priority)
                .where(Ticket.state == TAKEN, Ticket.taken_at.is_not(None))
                .order_by(Ticket.taken_at.desc(), Ticket.id.desc())
                .limit(HISTORY_TAKES)
            )
            return list(reversed(list(rows)))

    async def served(self) -> Waiting:
        """Every waiting ticket in served order, with matter names, as `(kiosk_id, TicketInfo)`."""
        waiting = await self.calls.waiting()
        catalogue = await self.catalogue.current()
        waiting = [(kiosk_id, _named(info, catalogue)) for kiosk_id, info in waiting]
        by_id = {info.ticket_id: (kiosk_id, info) for kiosk_id, info in waiting}
        order = queue_order.served_order(
            [info for _, info in waiting], await self._history(), self.priority_ratio
        )
        return [by_id[info.ticket_id] for info in order]

    async def snapshot_for(self, who: Principal, served: Waiting | None = None) -> QueueSnapshot:
        """The queue one officer sees: tickets of their lines, in served order."""
        if served is None:
            served = await self.served()
        lines = await self.lines_of(who.subject_id)
        return QueueSnapshot(tickets=[info for _, info in served if qualified(lines, info.line)])

    async def check_take(self, ticket_id: int, officer: Principal) -> None:
        """`forbidden` when the ticket's line is not one of the officer's."""
        async with self.db.session() as s:
            line = await s.scalar(select(Ticket.line).where(Ticket.id == ticket_id))
        if not qualified(await self.lines_of(officer.subject_id), line):
            raise HubError(ErrorCode.FORBIDDEN, f"ticket of line {line}, not one of your lines")

    async def next_for(self, officer: Principal) -> int:
        """The ticket this officer should take now; `not_found` when none of theirs waits."""
        snapshot = await self.snapshot_for(officer)
        if not snapshot.tickets:
            raise HubError(ErrorCode.NOT_FOUND, "no ticket of your lines is waiting")
        return snapshot.tickets[0].ticket_id

    # --- overdue -------------------------------------------------------------

    async def flag_overdue(self) -> int:
        """Flag (and audit once) tickets waiting longer than the threshold; how many now."""
        now = utcnow()
        cutoff = now - dt.timedelta(seconds=self.overdue_after_s)
        async with self.db.session() as s, s.begin():
            due = list(
                await s.scalars(
                    select(Ticket.id).where(
                        Ticket.state == WAITING,
                        Ticket.flagged_overdue_at.is_(None),
                        Ticket.created_at < cutoff,
                    )
                )
            )
            flagged = 0
            for ticket_id in due:
                done = await s.execute(
                    update(Ticket)
                    .where(Ticket.id == ticket_id, Ticket.flagged_overdue_at.is_(None))
                    .values(flagged_overdue_at=now)
                )
                if getattr(done, "rowcount", 0) == 1:
                    flagged += 1
                    s.add(
                        audit_entry(
                            None, "queue.overdue", ticket_id=ticket_id, after_s=self.overdue_after_s
                        )
                    )
            return flagged


def _named(info: TicketInfo, catalogue: Catalogue) -> TicketInfo:
    matter = catalogue.matter(info.matter) if info.matter else None
    if matter is None:
        return info
    return info.model_copy(update={"matter_name": matter.name[:200]})


def parse_lines(text: str) -> list[str]:
    """`a,b` from the command line as line codes (format only); `bad_message` if malformed."""
    codes = list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    bad = [c for c in codes if c != ALL_LINES and not LINE_CODE.match(c)]
    if not codes or bad or len(codes) > 100:
        raise HubError(
            ErrorCode.BAD_MESSAGE, f"--lines: give line codes like civil,medins ({text!r})"
        )
    return codes


async def set_lines_offline(db_url: str, user_id: int, lines: list[str]) -> None:
    """Set a user's lines straight in the database (`vw-hub add-user --lines`)."""
    db = Database(db_url)
    try:
        await db.migrate()
        async with db.session() as s, s.begin():
            user = await s.get(User, user_id)
            if user is None:
                raise HubError(ErrorCode.NOT_FOUND, "no such user")
            user.lines = lines
            s.add(audit_entry(None, "user.lines", user_id=user_id, lines=lines))
    finally:
        await db.dispose()


ROUTING_KEY = web.AppKey("routing", Router)
