"""Ratings, follow-ups, contacts and rectifications in the database: queries only.

The rules (who may do what, deadlines, when a follow-up goes out by SMS, what is
overdue) are the service's; it hands this store what it decided. Methods taking
an `AsyncSession` run in the caller's transaction, the others in their own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.accounts import User
from backoffice_console.hub.calls import CallSession
from backoffice_console.hub.cases import Case, record_event
from backoffice_console.hub.core.audit import audit_entry
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db import Database
from backoffice_console.hub.evaluation.models import CaseContact, FollowUp, Rating, Rectification
from shared.protocol import ErrorCode
from shared.protocol.rating import RatingBody
from shared.protocol.wirejson import parse_id

RectificationRow = tuple[Rectification, Rating, str, str | None]
"""A rectification with its rating, the officer's display name and the case number."""


async def _kiosk_session(s: AsyncSession, session_id: str, kiosk: Principal) -> CallSession:
    cs = await s.get(CallSession, session_id)
    if cs is None or not kiosk.is_kiosk or cs.kiosk_id != kiosk.subject_id:
        raise HubError(ErrorCode.NOT_IN_SESSION, "this kiosk does not hold that session")
    return cs


async def _rated(s: AsyncSession, session_id: str) -> bool:
    return bool(await s.scalar(select(Rating.id).where(Rating.session_id == session_id)))


async def _case_id(s: AsyncSession, session_id: str) -> int | None:
    return await s.scalar(select(Case.id).where(Case.session_id == session_id))


class EvaluationStore:
    """Rows of ratings, rectifications, follow-ups and case contacts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- ratings ------------------------------------------------------------

    async def add_rating(
        self,
        session_id: str,
        kiosk: Principal,
        body: RatingBody,
        now: dt.datetime,
        deadline: dt.date | None,
    ) -> dict[str, Any]:
        """Store the session's rating and (`deadline` given) its rectification; audited.

        HubError `not_in_session` / `conflict` (already rated); two ratings at once
        leave the second with the database's `IntegrityError` at commit.
        """
        async with self._db.session() as s, s.begin():
            cs = await _kiosk_session(s, session_id, kiosk)
            if await _rated(s, session_id):
                raise HubError(ErrorCode.CONFLICT, "this session has already been rated")
            case_id = await _case_id(s, session_id)
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
            if deadline is not None:
                rect = Rectification(
                    rating_id=rating.id,
                    session_id=session_id,
                    case_id=case_id,
                    opened_at=now,
                    deadline=deadline,
                    state="open",
                    overdue=False,
                )
                s.add(rect)
                await s.flush()
            await record_event(
                s, session_id, "rating", kiosk, level=body.level,
                rectification_id=rect.id if rect else None,
            )  # fmt: skip
            s.add(
                audit_entry(
                    kiosk, "rating.give", session_id, level=body.level,
                    rectification_id=rect.id if rect else None,
                )
            )  # fmt: skip
            return {
                "rating_id": rating.id,
                "level": rating.level,
                "case_id": case_id,
                "rectification": None
                if rect is None
                else {"id": rect.id, "deadline": rect.deadline.isoformat()},
            }

    async def session(self, session_id: str) -> CallSession | None:
        """The call session, if there is one."""
        async with self._db.session() as s:
            return await s.get(CallSession, session_id)

    async def rating_of(self, session_id: str) -> tuple[Rating, Rectification | None] | None:
        """The session's rating and its rectification, or None."""
        async with self._db.session() as s:
            rating = await s.scalar(select(Rating).where(Rating.session_id == session_id))
            if rating is None:
                return None
            rect = await s.scalar(select(Rectification).where(Rectification.rating_id == rating.id))
        return rating, rect

    async def ratings_between(
        self, start: dt.datetime, end: dt.datetime, officer_id: int | None
    ) -> list[Rating]:
        """Ratings of sessions started in `[start, end)` (of one officer's, when given)."""
        query = (
            select(Rating)
            .join(CallSession, CallSession.id == Rating.session_id)
            .where(CallSession.started_at >= start, CallSession.started_at < end)
            .order_by(Rating.id)
        )
        if officer_id is not None:
            query = query.where(Rating.officer_id == officer_id)
        async with self._db.session() as s:
            return list(await s.scalars(query.limit(5000)))

    # --- follow-ups ---------------------------------------------------------

    async def check_unrated(self, session_id: str, kiosk: Principal) -> None:
        """HubError unless `kiosk` holds the session and it has no rating (409 `conflict`)."""
        async with self._db.session() as s:
            await _kiosk_session(s, session_id, kiosk)
            if await _rated(s, session_id):
                raise HubError(ErrorCode.CONFLICT, "this session has already been rated")

    async def follow_up_context(
        self, session_id: str
    ) -> tuple[FollowUp | None, int | None, CaseContact | None]:
        """The session's follow-up (if made), its case id and the case's contact."""
        async with self._db.session() as s:
            earlier = await s.scalar(select(FollowUp).where(FollowUp.session_id == session_id))
            if earlier is not None:
                return earlier, None, None
            case_id = await _case_id(s, session_id)
            contact = None
            if case_id is not None:
                contact = await s.scalar(select(CaseContact).where(CaseContact.case_id == case_id))
        return None, case_id, contact

    async def add_follow_up(
        self,
        session_id: str,
        case_id: int | None,
        *,
        source: str,
        actor: Principal | None,
        now: dt.datetime,
        channel: str,
        state: str,
    ) -> int:
        """A new follow-up row (audited `followup.create`); `IntegrityError` when one exists."""
        async with self._db.session() as s, s.begin():
            row = FollowUp(
                session_id=session_id,
                case_id=case_id,
                reason="no_rating",
                source=source,
                created_at=now,
                channel=channel,
                state=state,
            )
            s.add(row)
            await s.flush()
            s.add(
                audit_entry(actor, "followup.create", session_id, follow_up_id=row.id,
                            source=source)
            )  # fmt: skip
            return row.id

    async def follow_up_of(self, session_id: str) -> FollowUp | None:
        """The session's follow-up, if any."""
        async with self._db.session() as s:
            return await s.scalar(select(FollowUp).where(FollowUp.session_id == session_id))

    async def follow_up(self, follow_id: int) -> FollowUp:
        """A follow-up that exists."""
        async with self._db.session() as s:
            row = await s.get(FollowUp, follow_id)
        assert row is not None
        return row

    async def set_follow_up_state(self, follow_id: int, state: str) -> None:
        """Record how sending a follow-up went."""
        async with self._db.session() as s, s.begin():
            row = await s.get(FollowUp, follow_id)
            assert row is not None
            row.state = state

    async def unfollowed_sessions(
        self, ended_before: dt.datetime, ended_since: dt.datetime
    ) -> list[str]:
        """Sessions ended in `[ended_since, ended_before)` with neither rating nor follow-up."""
        query = (
            select(CallSession.id)
            .where(
                CallSession.ended_at.is_not(None),
                CallSession.ended_at < ended_before,
                CallSession.ended_at >= ended_since,
                ~exists().where(Rating.session_id == CallSession.id),
                ~exists().where(FollowUp.session_id == CallSession.id),
            )
            .order_by(CallSession.ended_at)
            .limit(500)
        )
        async with self._db.session() as s:
            return list(await s.scalars(query))

    async def recent_follow_ups(self) -> list[FollowUp]:
        """The newest follow-ups first."""
        async with self._db.session() as s:
            return list(await s.scalars(select(FollowUp).order_by(FollowUp.id.desc()).limit(500)))

    # --- contact ------------------------------------------------------------

    @staticmethod
    async def case_by_ref(s: AsyncSession, case_ref: str) -> Case:
        """The case by number (`SL...`) or row id; HubError `not_found`."""
        if case_ref.isdigit():
            case_id = parse_id(case_ref)  # the one bound for ids: beyond it, no such case
            case = await s.get(Case, case_id) if case_id is not None else None
        else:
            case = await s.scalar(select(Case).where(Case.case_no == case_ref))
        if case is None:
            raise HubError(ErrorCode.NOT_FOUND, "no such case")
        return case

    @staticmethod
    async def contact_row(s: AsyncSession, case: Case) -> CaseContact:
        """The case's contact row, a new one (added to `s`) when it has none."""
        row = await s.scalar(select(CaseContact).where(CaseContact.case_id == case.id))
        if row is None:
            row = CaseContact(case_id=case.id, session_id=case.session_id)
            s.add(row)
        return row

    # --- rectifications -----------------------------------------------------

    async def rectification_rows(self, state: str | None) -> list[RectificationRow]:
        """Rectifications (of `state` when given) with rating, officer name and case number."""
        query = (
            select(Rectification, Rating, User.display_name, Case.case_no)
            .join(Rating, Rating.id == Rectification.rating_id)
            .join(User, User.id == Rating.officer_id)
            .outerjoin(Case, Case.id == Rectification.case_id)
        )
        if state is not None:
            query = query.where(Rectification.state == state)
        async with self._db.session() as s:
            rows = (await s.execute(query.limit(2000))).all()
        return [(rect, rating, name, case_no) for rect, rating, name, case_no in rows]

    @staticmethod
    async def rectification(s: AsyncSession, rect_id: int) -> Rectification:
        """A rectification; HubError `not_found`."""
        rect = await s.get(Rectification, rect_id)
        if rect is None:
            raise HubError(ErrorCode.NOT_FOUND, "no such rectification")
        return rect
