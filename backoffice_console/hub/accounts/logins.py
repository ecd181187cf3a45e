"""Log-ins and their tokens: issue, refresh, resolve, revoke, and whether a log-in still holds.

A log-in is what a password or a kiosk's device secret buys: a short access token
(the bearer) and a refresh token that renews it until the log-in's absolute end.
Refresh tokens rotate: each refresh spends the old one, and a spent one presented
again (a stolen copy racing its owner) revokes the whole log-in. Tokens are stored
only as SHA-256 digests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.accounts import secrets as auth
from backoffice_console.hub.accounts.models import Kiosk, Login, ServicePoint, Token, User
from backoffice_console.hub.core.audit import audit_entry
from backoffice_console.hub.core.errors import Unauthorized
from backoffice_console.hub.core.models import AuditEntry
from backoffice_console.hub.core.principal import LoginEnded, Principal
from backoffice_console.hub.db import Database, rowcount, utcnow
from shared.protocol import Role
from shared.protocol.accounts import CLOSE_ACCESS_REVOKED, CLOSE_SESSION_ENDED

USER, DEVICE = "user", "device"


@dataclass(frozen=True)
class Lifetimes:
    """How long access tokens and whole log-ins last, for users and for kiosks."""

    user_access: dt.timedelta
    user_login: dt.timedelta
    device_access: dt.timedelta
    device_login: dt.timedelta

    def of(self, kind: str) -> tuple[dt.timedelta, dt.timedelta]:
        """(access, login) lifetimes of a subject kind."""
        if kind == USER:
            return self.user_access, self.user_login
        return self.device_access, self.device_login


@dataclass(frozen=True)
class IssuedTokens:
    """Tokens as handed to a client once."""

    token: str
    expires_at: dt.datetime
    refresh_token: str
    refresh_expires_at: dt.datetime
    login_id: int

    def reply(self) -> dict[str, str]:
        """The `TokenPair` JSON fields."""
        return {
            "token": self.token,
            "expires_at": self.expires_at.isoformat(),
            "refresh_token": self.refresh_token,
            "refresh_expires_at": self.refresh_expires_at.isoformat(),
        }


def _actor_kind(kind: str) -> str:
    return USER if kind == USER else DEVICE


class LoginStore:
    """Reads and writes log-ins and access tokens; resolves bearer tokens for the core."""

    def __init__(self, db: Database, lifetimes: Lifetimes) -> None:
        self._db = db
        self.lifetimes = lifetimes

    async def start(
        self, kind: str, subject_id: int, action: str, **detail: object
    ) -> IssuedTokens:
        """A new log-in of a user or kiosk, audited as `action`."""
        access_ttl, login_ttl = self.lifetimes.of(kind)
        now = utcnow()
        refresh = auth.new_token()
        async with self._db.session() as s, s.begin():
            # Expired tokens and log-ins are useless; dropping them here keeps the tables small.
            await s.execute(delete(Token).where(Token.expires_at < now))
            login = Login(
                subject_kind=kind,
                subject_id=subject_id,
                refresh_hash=auth.digest(refresh),
                access_expires_at=min(now + access_ttl, now + login_ttl),
                expires_at=now + login_ttl,
            )
            s.add(login)
            await s.flush()
            token = self._access(s, login, now)
            s.add(
                AuditEntry(
                    actor_kind=_actor_kind(kind),
                    actor_id=subject_id,
                    action=action,
                    detail={"login_id": login.id, **detail},
                )
            )
        return IssuedTokens(token, login.access_expires_at, refresh, login.expires_at, login.id)

    def _access(self, s: AsyncSession, login: Login, now: dt.datetime) -> str:
        token = auth.new_token()
        s.add(
            Token(
                token_hash=auth.digest(token),
                login_id=login.id,
                subject_kind=login.subject_kind,
                subject_id=login.subject_id,
                created_at=now,
                expires_at=login.access_expires_at,
            )
        )
        return token

    async def refresh(self, refresh_token: str) -> IssuedTokens:
        """A new access token and refresh token for a live log-in; raises `Unauthorized`."""
        digest = auth.digest(refresh_token)
        now = utcnow()
        fresh = auth.new_token()
        async with self._db.session() as s, s.begin():
            login = await s.scalar(select(Login).where(Login.refresh_hash == digest))
            if login is None:
                reused = await self._spent_again(s, digest, now)
        if login is None:
            # Raised after the commit, so a reuse's revocation stays.
            raise Unauthorized("the log-in has ended" if reused else "unknown refresh token")
        async with self._db.session() as s, s.begin():
            login = await s.scalar(select(Login).where(Login.refresh_hash == digest))
            if login is None:
                raise Unauthorized("unknown or spent refresh token")
            if login.revoked_at is not None or login.expires_at <= now:
                raise Unauthorized("the log-in has ended; log in again")
            if not await self._subject_active(s, login):
                raise Unauthorized("account disabled")
            access_ttl, _ = self.lifetimes.of(login.subject_kind)
            # The conditional UPDATE makes two refreshes with one token race safely.
            won = await s.execute(
                update(Login)
                .where(Login.id == login.id, Login.refresh_hash == digest)
                .values(
                    refresh_hash=auth.digest(fresh),
                    previous_refresh_hash=digest,
                    access_expires_at=min(now + access_ttl, login.expires_at),
                )
            )
            if rowcount(won) != 1:
                raise Unauthorized("unknown or spent refresh token")
            await s.refresh(login)
            token = self._access(s, login, now)
        return IssuedTokens(token, login.access_expires_at, fresh, login.expires_at, login.id)

    async def _spent_again(self, s: AsyncSession, digest: str, now: dt.datetime) -> bool:
        """A spent refresh token came back: whoever holds the live one may be a thief."""
        login = await s.scalar(select(Login).where(Login.previous_refresh_hash == digest))
        if login is None:
            return False
        if login.revoked_at is not None:
            return True
        await self._revoke(s, [login.id], "refresh_reused", now)
        s.add(
            AuditEntry(
                actor_kind=_actor_kind(login.subject_kind),
                actor_id=login.subject_id,
                action="auth.refresh_reused",
                detail={"login_id": login.id},
            )
        )
        return True

    async def _subject_active(self, s: AsyncSession, login: Login) -> bool:
        model = User if login.subject_kind == USER else Kiosk
        active = await s.scalar(select(model.active).where(model.id == login.subject_id))
        return bool(active)

    async def resolve(self, token: str) -> Principal:
        """The principal behind a bearer token; raises `Unauthorized` if unknown or expired."""
        if not token or len(token) > 200:
            raise Unauthorized("bad token")
        now = utcnow()
        # One round trip: every HTTP request and websocket resolves its token here.
        query = (
            select(Token, Login, User, Kiosk, ServicePoint)
            .join(Login, Login.id == Token.login_id)
            .outerjoin(User, (Token.subject_kind == USER) & (User.id == Token.subject_id))
            .outerjoin(Kiosk, (Token.subject_kind != USER) & (Kiosk.id == Token.subject_id))
            .outerjoin(ServicePoint, ServicePoint.id == Kiosk.point_id)
            .where(Token.token_hash == auth.digest(token))
        )
        async with self._db.session() as s:
            found = (await s.execute(query)).first()
        if found is None or found[0].expires_at <= now:
            raise Unauthorized("unknown or expired token")
        row, login, user, kiosk, point = found
        if login.revoked_at is not None or login.expires_at <= now:
            raise Unauthorized("the log-in has ended")
        if row.subject_kind == USER:
            if user is None or not user.active:
                raise Unauthorized("account disabled")
            return Principal(Role(user.role), user.id, user.display_name, login_id=login.id)
        if kiosk is None or not kiosk.active:
            raise Unauthorized("device disabled")
        point_name = point.name if point is not None else ""
        return Principal(
            Role.KIOSK,
            kiosk.id,
            f"{point_name} {kiosk.name}".strip(),
            point_name=point_name,
            kiosk_name=kiosk.name,
            login_id=login.id,
        )

    async def ended(self, login_ids: Collection[int]) -> dict[int, LoginEnded]:
        """Of `login_ids`, those that no longer hold, with the close code their sockets get."""
        ids = sorted(set(login_ids))
        if not ids:
            return {}
        now = utcnow()
        query = (
            select(Login, User.active, Kiosk.active)
            .outerjoin(User, (Login.subject_kind == USER) & (User.id == Login.subject_id))
            .outerjoin(Kiosk, (Login.subject_kind != USER) & (Kiosk.id == Login.subject_id))
            .where(Login.id.in_(ids))
        )
        async with self._db.session() as s:
            rows = (await s.execute(query)).all()
        found: dict[int, LoginEnded] = {
            i: LoginEnded(CLOSE_SESSION_ENDED, "login not found") for i in ids
        }
        for login, user_active, kiosk_active in rows:
            active = user_active if login.subject_kind == USER else kiosk_active
            if not active:
                what = "account disabled" if login.subject_kind == USER else "kiosk revoked"
                found[login.id] = LoginEnded(CLOSE_ACCESS_REVOKED, what)
            elif login.revoked_at is not None:
                found[login.id] = LoginEnded(CLOSE_SESSION_ENDED, login.revoked_reason or "revoked")
            elif login.access_expires_at <= now or login.expires_at <= now:
                found[login.id] = LoginEnded(CLOSE_SESSION_ENDED, "token expired")
            else:
                del found[login.id]
        return found

    # --- revocation ----------------------------------------------------------

    async def _revoke(
        self, s: AsyncSession, login_ids: Collection[int], reason: str, now: dt.datetime
    ) -> None:
        if not login_ids:
            return
        await s.execute(
            update(Login)
            .where(Login.id.in_(list(login_ids)), Login.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        await s.execute(delete(Token).where(Token.login_id.in_(list(login_ids))))

    async def revoke_in(
        self, s: AsyncSession, kind: str, subject_id: int, reason: str, keep: int | None = None
    ) -> list[int]:
        """Revoke every live log-in of a subject (but `keep`) in the caller's transaction; ids."""
        now = utcnow()
        query = select(Login.id).where(
            Login.subject_kind == kind,
            Login.subject_id == subject_id,
            Login.revoked_at.is_(None),
            Login.expires_at > now,
        )
        if keep is not None:
            query = query.where(Login.id != keep)
        ids = list(await s.scalars(query))
        await self._revoke(s, ids, reason, now)
        return ids

    async def logout(self, who: Principal) -> None:
        """End the caller's own log-in (audited)."""
        if who.login_id is None:
            return
        async with self._db.session() as s, s.begin():
            await self._revoke(s, [who.login_id], "logged out", utcnow())
            s.add(audit_entry(who, "auth.logout", login_id=who.login_id))

    async def revoke_subject(
        self, actor: Principal, kind: str, subject_id: int, reason: str
    ) -> list[int]:
        """An administrator ends every log-in of a user or kiosk (audited with the reason)."""
        async with self._db.session() as s, s.begin():
            ids = await self.revoke_in(s, kind, subject_id, "revoked")
            s.add(
                audit_entry(
                    actor, "auth.revoke", subject_kind=kind, subject_id=subject_id,
                    logins=len(ids), reason=reason,
                )
            )  # fmt: skip
        return ids
