"""Ratings (好差评), rectifications and follow-ups at the hub: the rules.

- A rating belongs to one session; only that session's kiosk gives it, once (a
  second one is 409 `conflict` and changes nothing). Level <= 2 opens a
  rectification due in 15 working days (`workdays.china_calendar`).
- A resident who leaves without rating gets a follow-up: posted by the kiosk
  (`skip`) or made by the sweep for sessions ended more than
  `EvaluationService.followup_after` ago. When the case has a phone on record
  the follow-up is sent as an SMS through the gateway (the number is never logged).
- Supervisors (and admins) list rectifications and close them with a recorded
  call-back.

Queries are in `store.py`, routes (and the sweep task) in `routes.py`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from backoffice_console.hub.cases import record_event
from backoffice_console.hub.core.audit import audit_entry
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.core.vault import IdentityVault, require_vault
from backoffice_console.hub.db import Database, iso, utcnow
from backoffice_console.hub.evaluation.models import CaseContact, FollowUp, Rectification
from backoffice_console.hub.evaluation.sms import SmsError, SmsGateway
from backoffice_console.hub.evaluation.store import EvaluationStore, RectificationRow
from backoffice_console.hub.evaluation.workdays import WorkCalendar, china_calendar
from shared.i18n import tr
from shared.protocol import ErrorCode, Role
from shared.protocol.rating import (
    RECTIFY_AT_OR_BELOW,
    CloseRectificationBody,
    RatingBody,
    mask_phone,
)

log = logging.getLogger(__name__)

RECTIFY_WORKDAYS = 15
SWEEP_WINDOW = dt.timedelta(days=2)
"""The sweep looks only at sessions ended this recently (no SMS storm after an upgrade)."""
CALLBACK_SLACK = dt.timedelta(minutes=5)


def local_date(at: dt.datetime) -> dt.date:
    """The hub's local calendar day of an instant (deadlines are local working days)."""
    return at.astimezone().date()


def supervisor_check(who: Principal) -> None:
    """Supervisors and admins only; HubError forbidden otherwise."""
    if who.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise HubError(ErrorCode.FORBIDDEN, "supervisors and administrators only")


class EvaluationService:
    """Ratings, rectifications and follow-ups of one hub."""

    def __init__(
        self,
        *,
        db: Database,
        vault: IdentityVault | None,
        sms: SmsGateway,
        followup_after: dt.timedelta,
        calendar: WorkCalendar | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.db = db
        self.store = EvaluationStore(db)
        self.vault = vault
        self.sms = sms
        self.followup_after = followup_after
        self.calendar = calendar or china_calendar()
        self.clock = clock

    # --- ratings ------------------------------------------------------------

    def deadline_for(self, opened_at: dt.datetime) -> dt.date:
        """The rectification deadline: 15 working days after the local opening day."""
        return self.calendar.add_workdays(local_date(opened_at), RECTIFY_WORKDAYS)

    async def rate(self, session_id: str, kiosk: Principal, body: RatingBody) -> dict[str, Any]:
        """Store the session's rating (once); opens a rectification for level <= 2."""
        now = self.clock()
        deadline = self.deadline_for(now) if body.level <= RECTIFY_AT_OR_BELOW else None
        try:
            result = await self.store.add_rating(session_id, kiosk, body, now, deadline)
        except IntegrityError:
            # Two ratings at once: the unique session id kept the first one.
            raise HubError(ErrorCode.CONFLICT, "this session has already been rated") from None
        log.info("session rated %d (rating %d)", body.level, result["rating_id"])
        return result

    async def rating_of(self, session_id: str) -> dict[str, Any] | None:
        """The session's rating (for case views and history), or None."""
        found = await self.store.rating_of(session_id)
        if found is None:
            return None
        rating, rect = found
        return {
            "rating_id": rating.id,
            "level": rating.level,
            "reasons": rating.reasons,
            "helper": rating.helper,
            "at": iso(rating.at),
            "rectification_id": rect.id if rect else None,
            "rectification_state": rect.state if rect else None,
        }

    async def rating_seen_by(self, who: Principal, session_id: str) -> dict[str, Any]:
        """The session's rating for its officer, supervisors and admins; 404 when unrated."""
        cs = await self.store.session(session_id)
        if cs is None:
            raise HubError(ErrorCode.NOT_FOUND, "no such session")
        own = who.role is Role.OFFICER and cs.officer_id == who.subject_id
        if not (own or who.role in (Role.SUPERVISOR, Role.ADMIN)):
            raise HubError(
                ErrorCode.FORBIDDEN, "the session's officer, supervisors and admins only"
            )
        rating = await self.rating_of(session_id)
        if rating is None:
            raise HubError(ErrorCode.NOT_FOUND, "this session has no rating")
        return rating

    async def ratings_between(
        self, who: Principal, start: dt.datetime, end: dt.datetime
    ) -> list[dict[str, Any]]:
        """Ratings of sessions started in `[start, end)`: an officer's own, or all."""
        if who.role is Role.OFFICER:
            officer_id: int | None = who.subject_id
        elif who.role in (Role.SUPERVISOR, Role.ADMIN):
            officer_id = None
        else:
            raise HubError(ErrorCode.FORBIDDEN, "officers, supervisors and admins only")
        rows = await self.store.ratings_between(start, end, officer_id)
        return [
            {"session_id": r.session_id, "case_id": r.case_id, "level": r.level,
             "reasons": r.reasons, "at": iso(r.at)}
            for r in rows
        ]  # fmt: skip

    # --- follow-ups ---------------------------------------------------------

    async def skip(self, session_id: str, kiosk: Principal) -> dict[str, Any]:
        """The kiosk's "left without rating": a follow-up (idempotent); 409 if rated."""
        await self.store.check_unrated(session_id, kiosk)
        return await self._follow_up(session_id, "kiosk", kiosk)

    async def _follow_up(
        self, session_id: str, source: str, actor: Principal | None
    ) -> dict[str, Any]:
        earlier, case_id, contact = await self.store.follow_up_context(session_id)
        if earlier is not None:
            return _follow_json(earlier)
        phone = self._phone(contact) if contact is not None else None
        try:
            follow_id = await self.store.add_follow_up(
                session_id,
                case_id,
                source=source,
                actor=actor,
                now=self.clock(),
                channel="sms" if phone else "none",
                state="pending" if phone else "no_contact",
            )
        except IntegrityError:
            again = await self.store.follow_up_of(session_id)
            if again is None:
                raise
            return _follow_json(again)
        if phone:
            try:
                await self.sms.send(
                    phone, tr("evaluation", "sms.followup"), f"followup-{follow_id}"
                )
                state = "sent"
            except SmsError as exc:
                log.warning("follow-up %d not sent: %s", follow_id, exc)
                state = "failed"
            await self.store.set_follow_up_state(follow_id, state)
        done = await self.store.follow_up(follow_id)
        log.info(
            "follow-up %d for a session without rating (%s, %s)", follow_id, source, done.state
        )
        return _follow_json(done)

    def _phone(self, contact: CaseContact) -> str | None:
        vault = self.vault
        if vault is None or contact.key_id != vault.key_id:
            log.error("contact %d cannot be decrypted with this hub's key", contact.id)
            return None
        return vault.open(contact.session_id, contact.nonce, contact.ciphertext).decode()

    async def sweep(self) -> int:
        """Make follow-ups for sessions ended > `followup_after` ago without rating."""
        now = self.clock()
        ids = await self.store.unfollowed_sessions(now - self.followup_after, now - SWEEP_WINDOW)
        for session_id in ids:
            await self._follow_up(session_id, "sweep", None)
        return len(ids)

    async def sweep_forever(self, every_s: float) -> None:
        """Run `sweep` every `every_s` seconds until cancelled; a failure is logged, not fatal."""
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.sweep()
            except Exception:  # a database hiccup must not end the sweeping
                log.exception("follow-up sweep failed")

    async def follow_ups(self, who: Principal) -> list[dict[str, Any]]:
        """Recent follow-ups, newest first (supervisors and admins); sweeps first."""
        supervisor_check(who)
        await self.sweep()
        return [_follow_json(r) for r in await self.store.recent_follow_ups()]

    # --- contact ------------------------------------------------------------

    async def set_contact(self, case_ref: str, who: Principal, phone: str) -> dict[str, Any]:
        """Record (or replace) a case's phone number, sealed; the case's officer or an admin.

        `case_ref` is the case's number (`SL...`) or its row id.
        """
        vault = require_vault(self.vault)
        async with self.db.session() as s, s.begin():
            case = await self.store.case_by_ref(s, case_ref)
            if not (who.role is Role.ADMIN or (
                who.role is Role.OFFICER and case.officer_id == who.subject_id
            )):  # fmt: skip
                raise HubError(ErrorCode.FORBIDDEN, "only the case's officer or an admin")
            nonce, ciphertext = vault.seal(case.session_id, phone.encode())
            row = await self.store.contact_row(s, case)
            row.key_id, row.nonce, row.ciphertext = vault.key_id, nonce, ciphertext
            row.recorded_by, row.recorded_at = who.subject_id, self.clock()
            s.add(audit_entry(who, "case.contact", case.session_id, case_id=case.id))
            return {"case_id": case.id, "case_no": case.case_no, "phone": mask_phone(phone)}

    # --- rectifications -----------------------------------------------------

    def _overdue(self, rect: Rectification, today: dt.date) -> bool:
        if rect.state == "closed":
            return rect.overdue
        return today > rect.deadline

    def _rect_json(self, found: RectificationRow, today: dt.date) -> dict[str, Any]:
        rect, rating, officer_name, case_no = found
        return {
            "id": rect.id,
            "session_id": rect.session_id,
            "case_id": rect.case_id,
            "case_no": case_no,
            "level": rating.level,
            "reasons": rating.reasons,
            "officer_id": rating.officer_id,
            "officer_name": officer_name,
            "helper": rating.helper,
            "opened_at": iso(rect.opened_at),
            "deadline": rect.deadline.isoformat(),
            "workdays_left": self.calendar.workdays_between(today, rect.deadline)
            if rect.state == "open"
            else None,
            "state": rect.state,
            "overdue": self._overdue(rect, today),
            "closed_by": rect.closed_by,
            "closed_at": iso(rect.closed_at),
            "callback_at": iso(rect.callback_at),
            "callback_note": rect.callback_note,
        }

    async def rectifications(self, who: Principal, state: str | None) -> list[dict[str, Any]]:
        """Rectifications: open first (overdue, then by deadline), then closed (newest first)."""
        supervisor_check(who)
        today = local_date(self.clock())
        if state is not None and state not in ("open", "closed"):
            raise HubError(ErrorCode.BAD_MESSAGE, "state must be open or closed")
        out = [self._rect_json(row, today) for row in await self.store.rectification_rows(state)]
        out.sort(key=_rect_order)
        return out

    async def close(self, rect_id: int, who: Principal, body: CloseRectificationBody) -> None:
        """Close a rectification with its call-back record; 409 when already closed."""
        supervisor_check(who)
        now = self.clock()
        async with self.db.session() as s, s.begin():
            rect = await self.store.rectification(s, rect_id)
            if rect.state != "open":
                raise HubError(ErrorCode.CONFLICT, "this rectification is already closed")
            if body.callback_at > now + CALLBACK_SLACK or body.callback_at < rect.opened_at:
                raise HubError(
                    ErrorCode.BAD_MESSAGE,
                    "callback_at must lie between the opening and now",
                )
            rect.state = "closed"
            rect.closed_by = who.subject_id
            rect.closed_at = now
            rect.callback_at = body.callback_at
            rect.callback_note = body.callback_note.strip()
            rect.overdue = local_date(now) > rect.deadline
            await record_event(
                s, rect.session_id, "rectification_closed", who, rectification_id=rect.id
            )
            s.add(
                audit_entry(
                    who, "rectification.close", rect.session_id, rectification_id=rect.id,
                    overdue=rect.overdue,
                )
            )  # fmt: skip


def _rect_order(row: dict[str, Any]) -> tuple[Any, ...]:
    if row["state"] == "open":
        return (0, not row["overdue"], row["deadline"], row["id"])
    return (1, "", "", -row["id"])


def _follow_json(row: FollowUp) -> dict[str, Any]:
    return {
        "follow_up_id": row.id,
        "session_id": row.session_id,
        "case_id": row.case_id,
        "channel": row.channel,
        "state": row.state,
        "source": row.source,
        "created_at": iso(row.created_at),
    }


EVALUATION_KEY = web.AppKey("evaluation", EvaluationService)
"""The hub's evaluation service."""
