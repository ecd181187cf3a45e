"""Ratings (好差评), rectifications and follow-ups at the hub.

- A rating belongs to one session; only that session's kiosk gives it, once (a
  second one is 409 `conflict` and changes nothing). Level <= 2 opens a
  rectification due in 15 working days (`workdays.china_calendar`).
- A resident who leaves without rating gets a follow-up: posted by the kiosk
  (`skip`) or made by the sweep for sessions ended more than
  `EvaluationService.followup_after` ago. When the case has a phone on record
  the follow-up is sent as an SMS through the gateway (the number is never logged).
- Supervisors (and admins) list rectifications and close them with a recorded
  call-back.

Routes are in `evaluation_routes.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from backoffice_console.hub.accounts import Principal
from backoffice_console.hub.calls import audit_entry
from backoffice_console.hub.db import CallSession, Case, CaseEvent, User, utcnow
from backoffice_console.hub.db.models_evaluation import (
    CaseContact,
    FollowUp,
    Rating,
    Rectification,
)
from backoffice_console.hub.errors import HubError
from backoffice_console.hub.services import Hub
from backoffice_console.hub.sms import SmsError, SmsGateway
from backoffice_console.hub.workdays import WorkCalendar, china_calendar
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


async def case_event(
    s: Any, session_id: str, kind: str, actor: Principal | None, **detail: Any
) -> None:
    """Append an event to the session's case timeline, if it has a case (caller's transaction).

    The same row `case_store.record_event` writes; kept here so ratings and circulation
    do not depend on the case module's internals. `detail` holds no personal data.
    """
    case_id = await s.scalar(select(Case.id).where(Case.session_id == session_id))
    if case_id is not None:
        s.add(
            CaseEvent(
                case_id=case_id,
                kind=kind,
                actor_kind="hub" if actor is None else actor.actor_kind,
                actor_id=None if actor is None else actor.subject_id,
                detail=detail,
            )
        )


def supervisor_check(who: Principal) -> None:
    """Supervisors and admins only; HubError forbidden otherwise."""
    if who.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise HubError(ErrorCode.FORBIDDEN, "supervisors and administrators only")


class EvaluationService:
    """Ratings, rectifications and follow-ups of one hub."""

    def __init__(
        self,
        hub: Hub,
        sms: SmsGateway,
        followup_after: dt.timedelta,
        calendar: WorkCalendar | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.hub = hub
        self.sms = sms
        self.followup_after = followup_after
        self.calendar = calendar or china_calendar()
        self.clock = clock

    # --- ratings ------------------------------------------------------------

    async def _kiosk_session(self, s: Any, session_id: str, kiosk: Principal) -> CallSession:
        cs = await s.get(CallSession, session_id)
        if cs is None or not kiosk.is_kiosk or cs.kiosk_id != kiosk.subject_id:
            raise HubError(ErrorCode.NOT_IN_SESSION, "this kiosk does not hold that session")
        return cs

    async def _case_id(self, s: Any, session_id: str) -> int | None:
        return await s.scalar(select(Case.id).where(Case.session_id == session_id))

    def deadline_for(self, opened_at: dt.datetime) -> dt.date:
        """The rectification deadline: 15 working days after the local opening day."""
        return self.calendar.add_workdays(local_date(opened_at), RECTIFY_WORKDAYS)

    async def rate(self, session_id: str, kiosk: Principal, body: RatingBody) -> dict[str, Any]:
        """Store the session's rating (once); opens a rectification for level <= 2."""
        now = self.clock()
        try:
            async with self.hub.db.session() as s, s.begin():
                cs = await self._kiosk_session(s, session_id, kiosk)
                if await s.scalar(select(Rating.id).where(Rating.session_id == session_id)):
                    raise HubError(ErrorCode.CONFLICT, "this session has already been rated")
                case_id = await self._case_id(s, session_id)
                rating = Rating(
                    session_id=session_id,
                    case_id=case_id,
                    level=body.level,
                    reasons=list(body.reasons),
                    officer_id=cs.officer_id,
                    kiosk_id=cs.kiosk_id,
                    helper=body.helper,
                    at=now,
                )
                s.add(rating)
                await s.flush()
                rect: Rectification | None = None
                if body.level <= RECTIFY_AT_OR_BELOW:
                    rect = Rectification(
                        rating_id=rating.id,
                        session_id=session_id,
                        case_id=case_id,
                        opened_at=now,
                        deadline=self.deadline_for(now),
                        state="open",
                        overdue=False,
                    )
                    s.add(rect)
                    await s.flush()
                await case_event(
                    s, session_id, "rating", kiosk, level=body.level,
                    rectification_id=rect.id if rect else None,
                )  # fmt: skip
                s.add(
                    audit_entry(
                        kiosk, "rating.give", session_id, level=body.level,
                        rectification_id=rect.id if rect else None,
                    )
                )  # fmt: skip
                result = {
                    "rating_id": rating.id,
                    "level": rating.level,
                    "case_id": case_id,
                    "rectification": None
                    if rect is None
                    else {"id": rect.id, "deadline": rect.deadline.isoformat()},
                }
        except IntegrityError:
            # Two ratings at once: the unique session id kept the first one.
            raise HubError(ErrorCode.CONFLICT, "this session has already been rated") from None
        log.info("session rated %d (rating %d)", body.level, result["rating_id"])
        return result

    async def rating_of(self, session_id: str) -> dict[str, Any] | None:
        """The session's rating (for case views and history), or None."""
        async with self.hub.db.session() as s:
            rating = await s.scalar(select(Rating).where(Rating.session_id == session_id))
            if rating is None:
                return None
            rect = await s.scalar(select(Rectification).where(Rectification.rating_id == rating.id))
        return {
            "rating_id": rating.id,
            "level": rating.level,
            "reasons": rating.reasons,
            "helper": rating.helper,
            "at": rating.at.isoformat(),
            "rectification_id": rect.id if rect else None,
            "rectification_state": rect.state if rect else None,
        }

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
        query = (
            select(Rating)
            .join(CallSession, CallSession.id == Rating.session_id)
            .where(CallSession.started_at >= start, CallSession.started_at < end)
            .order_by(Rating.id)
        )
        if officer_id is not None:
            query = query.where(Rating.officer_id == officer_id)
        async with self.hub.db.session() as s:
            rows = await s.scalars(query.limit(5000))
            return [
                {"session_id": r.session_id, "case_id": r.case_id, "level": r.level,
                 "reasons": r.reasons, "at": r.at.isoformat()}
                for r in rows
            ]  # fmt: skip

    # --- follow-ups ---------------------------------------------------------

    async def skip(self, session_id: str, kiosk: Principal) -> dict[str, Any]:
        """The kiosk's "left without rating": a follow-up (idempotent); 409 if rated."""
        async with self.hub.db.session() as s:
            await self._kiosk_session(s, session_id, kiosk)
            if await s.scalar(select(Rating.id).where(Rating.session_id == session_id)):
                raise HubError(ErrorCode.CONFLICT, "this session has already been rated")
        follow = await self._follow_up(session_id, "kiosk", kiosk)
        return follow

    async def _follow_up(
        self, session_id: str, source: str, actor: Principal | None
    ) -> dict[str, Any]:
        async with self.hub.db.session() as s:
            earlier = await s.scalar(select(FollowUp).where(FollowUp.session_id == session_id))
            if earlier is not None:
                return _follow_json(earlier)
            case_id = await self._case_id(s, session_id)
            contact = None
            if case_id is not None:
                contact = await s.scalar(select(CaseContact).where(CaseContact.case_id == case_id))
        phone = self._phone(contact) if contact is not None else None
        try:
            async with self.hub.db.session() as s, s.begin():
                row = FollowUp(
                    session_id=session_id,
                    case_id=case_id,
                    reason="no_rating",
                    source=source,
                    created_at=self.clock(),
                    channel="sms" if phone else "none",
                    state="pending" if phone else "no_contact",
                )
                s.add(row)
                await s.flush()
                follow_id = row.id
                s.add(
                    audit_entry(actor, "followup.create", session_id, follow_up_id=row.id,
                                source=source)
                )  # fmt: skip
        except IntegrityError:
            async with self.hub.db.session() as s:
                again = await s.scalar(select(FollowUp).where(FollowUp.session_id == session_id))
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
            async with self.hub.db.session() as s, s.begin():
                sent = await s.get(FollowUp, follow_id)
                assert sent is not None
                sent.state = state
        async with self.hub.db.session() as s:
            done = await s.get(FollowUp, follow_id)
        assert done is not None
        log.info(
            "follow-up %d for a session without rating (%s, %s)", follow_id, source, done.state
        )
        return _follow_json(done)

    def _phone(self, contact: CaseContact) -> str | None:
        vault = self.hub.identities.vault
        if vault is None or contact.key_id != vault.key_id:
            log.error("contact %d cannot be decrypted with this hub's key", contact.id)
            return None
        return vault.open(contact.session_id, contact.nonce, contact.ciphertext).decode()

    async def sweep(self) -> int:
        """Make follow-ups for sessions ended > `followup_after` ago without rating."""
        now = self.clock()
        query = (
            select(CallSession.id)
            .where(
                CallSession.ended_at.is_not(None),
                CallSession.ended_at < now - self.followup_after,
                CallSession.ended_at >= now - SWEEP_WINDOW,
                ~exists().where(Rating.session_id == CallSession.id),
                ~exists().where(FollowUp.session_id == CallSession.id),
            )
            .order_by(CallSession.ended_at)
            .limit(500)
        )
        async with self.hub.db.session() as s:
            ids = list(await s.scalars(query))
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
        async with self.hub.db.session() as s:
            rows = await s.scalars(select(FollowUp).order_by(FollowUp.id.desc()).limit(500))
            return [_follow_json(r) for r in rows]

    # --- contact ------------------------------------------------------------

    async def set_contact(self, case_ref: str, who: Principal, phone: str) -> dict[str, Any]:
        """Record (or replace) a case's phone number, sealed; the case's officer or an admin.

        `case_ref` is the case's number (`SL...`) or its row id.
        """
        vault = self.hub.identities.vault
        if vault is None:
            raise HubError(ErrorCode.BAD_STATE, "this hub has no personal-data key configured")
        async with self.hub.db.session() as s, s.begin():
            if case_ref.isdigit():
                case = await s.get(Case, int(case_ref))
            else:
                case = await s.scalar(select(Case).where(Case.case_no == case_ref))
            if case is None:
                raise HubError(ErrorCode.NOT_FOUND, "no such case")
            if not (who.role is Role.ADMIN or (
                who.role is Role.OFFICER and case.officer_id == who.subject_id
            )):  # fmt: skip
                raise HubError(ErrorCode.FORBIDDEN, "only the case's officer or an admin")
            nonce, ciphertext = vault.seal(case.session_id, phone.encode())
            row = await s.scalar(select(CaseContact).where(CaseContact.case_id == case.id))
            if row is None:
                row = CaseContact(case_id=case.id, session_id=case.session_id)
                s.add(row)
            row.key_id, row.nonce, row.ciphertext = vault.key_id, nonce, ciphertext
            row.recorded_by, row.recorded_at = who.subject_id, self.clock()
            s.add(audit_entry(who, "case.contact", case.session_id, case_id=case.id))
            return {"case_id": case.id, "case_no": case.case_no, "phone": mask_phone(phone)}

    # --- rectifications -----------------------------------------------------

    def _overdue(self, rect: Rectification, today: dt.date) -> bool:
        if rect.state == "closed":
            return rect.overdue
        return today > rect.deadline

    async def rectifications(self, who: Principal, state: str | None) -> list[dict[str, Any]]:
        """Rectifications: open first (overdue, then by deadline), then closed (newest first)."""
        supervisor_check(who)
        today = local_date(self.clock())
        query = (
            select(Rectification, Rating, User.display_name, Case.case_no)
            .join(Rating, Rating.id == Rectification.rating_id)
            .join(User, User.id == Rating.officer_id)
            .outerjoin(Case, Case.id == Rectification.case_id)
        )
        if state is not None:
            if state not in ("open", "closed"):
                raise HubError(ErrorCode.BAD_MESSAGE, "state must be open or closed")
            query = query.where(Rectification.state == state)
        async with self.hub.db.session() as s:
            rows = (await s.execute(query.limit(2000))).all()
        out = []
        for rect, rating, officer_name, case_no in rows:
            out.append(
                {
                    "id": rect.id,
                    "session_id": rect.session_id,
                    "case_id": rect.case_id,
                    "case_no": case_no,
                    "level": rating.level,
                    "reasons": rating.reasons,
                    "officer_id": rating.officer_id,
                    "officer_name": officer_name,
                    "helper": rating.helper,
                    "opened_at": rect.opened_at.isoformat(),
                    "deadline": rect.deadline.isoformat(),
                    "workdays_left": self.calendar.workdays_between(today, rect.deadline)
                    if rect.state == "open"
                    else None,
                    "state": rect.state,
                    "overdue": self._overdue(rect, today),
                    "closed_by": rect.closed_by,
                    "closed_at": rect.closed_at.isoformat() if rect.closed_at else None,
                    "callback_at": rect.callback_at.isoformat() if rect.callback_at else None,
                    "callback_note": rect.callback_note,
                }
            )
        out.sort(key=_rect_order)
        return out

    async def close(self, rect_id: int, who: Principal, body: CloseRectificationBody) -> None:
        """Close a rectification with its call-back record; 409 when already closed."""
        supervisor_check(who)
        now = self.clock()
        async with self.hub.db.session() as s, s.begin():
            rect = await s.get(Rectification, rect_id)
            if rect is None:
                raise HubError(ErrorCode.NOT_FOUND, "no such rectification")
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
            await case_event(
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
        "created_at": row.created_at.isoformat(),
    }


async def cancel_quietly(task: asyncio.Task[None]) -> None:
    """Cancel a background task and wait for it."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
