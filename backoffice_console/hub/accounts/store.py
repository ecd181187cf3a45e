"""Users, kiosks and their credentials: login, tokens, enrolment, device tokens.

argon2 work runs in the default executor so the event loop keeps serving
websockets while a password is checked. No database session is held while
hashing: on SQLite the pool has one connection (see `db.Database`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from backoffice_console.hub.accounts import secrets as auth
from backoffice_console.hub.accounts.models import EnrollmentCode, Kiosk, ServicePoint, Token, User
from backoffice_console.hub.core.errors import HubError, Unauthorized
from backoffice_console.hub.core.models import AuditEntry
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db import Database, utcnow
from shared.protocol import ErrorCode, Role

log = logging.getLogger(__name__)

USER_ROLES = (Role.OFFICER, Role.SUPERVISOR, Role.TECHNICIAN, Role.ADMIN)
T = TypeVar("T")


@dataclass(frozen=True)
class IssuedToken:
    """A bearer token as handed to a client once."""

    token: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class Enrolment:
    """The result of a successful enrolment."""

    device_id: int
    secret: str
    point_id: int
    point_name: str


async def _off_loop(fn: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, fn)


class AccountStore:
    """Reads and writes users, tokens, service points, kiosks and enrolment codes."""

    def __init__(self, db: Database, officer_ttl_s: int, device_ttl_s: int) -> None:
        self._db = db
        self._officer_ttl = dt.timedelta(seconds=officer_ttl_s)
        self._device_ttl = dt.timedelta(seconds=device_ttl_s)

    # --- users ---------------------------------------------------------------

    async def create_user(self, username: str, display_name: str, role: Role, password: str) -> int:
        """Add a user; `conflict` if the username is taken."""
        if role not in USER_ROLES:
            raise HubError(
                ErrorCode.BAD_MESSAGE, f"role must be one of {[r.value for r in USER_ROLES]}"
            )
        if not username.strip() or not display_name.strip() or len(password) < 8:
            raise HubError(
                ErrorCode.BAD_MESSAGE,
                "username and display name required; password >= 8 characters",
            )
        password_hash = await _off_loop(lambda: auth.hash_secret(password))
        try:
            async with self._db.session() as s, s.begin():
                user = User(
                    username=username.strip(),
                    display_name=display_name.strip(),
                    password_hash=password_hash,
                    role=role.value,
                    active=True,
                )
                s.add(user)
                await s.flush()
                s.add(
                    AuditEntry(actor_kind="hub", action="user.create", detail={"user_id": user.id})
                )
                return user.id
        except IntegrityError:
            raise HubError(ErrorCode.CONFLICT, "username already exists") from None

    async def login(self, username: str, password: str) -> tuple[IssuedToken, User]:
        """Check a password and issue an officer token; raises `Unauthorized`."""
        async with self._db.session() as s:
            user = await s.scalar(select(User).where(User.username == username))
        stored = user.password_hash if user is not None and user.active else None
        ok = await _off_loop(lambda: auth.verify_secret(stored or auth.dummy_hash(), password))
        if user is None or not user.active or not ok:
            raise Unauthorized("wrong username or password")
        token = await self._issue("user", user.id, self._officer_ttl, "auth.login")
        return token, user

    # --- tokens --------------------------------------------------------------

    async def _issue(
        self, kind: str, subject_id: int, ttl: dt.timedelta, action: str
    ) -> IssuedToken:
        token = auth.new_token()
        now = utcnow()
        expires = now + ttl
        async with self._db.session() as s, s.begin():
            # Expired tokens are useless; dropping them here keeps the table small.
            await s.execute(delete(Token).where(Token.expires_at < now))
            s.add(
                Token(
                    token_hash=auth.digest(token),
                    subject_kind=kind,
                    subject_id=subject_id,
                    expires_at=expires,
                )
            )
            s.add(
                AuditEntry(
                    actor_kind="user" if kind == "user" else "device",
                    actor_id=subject_id,
                    action=action,
                    detail={},
                )
            )
        return IssuedToken(token=token, expires_at=expires)

    async def resolve(self, token: str) -> Principal:
        """The principal behind a bearer token; raises `Unauthorized` if unknown or expired."""
        if not token or len(token) > 200:
            raise Unauthorized("bad token")
        now = utcnow()
        # One round trip: every HTTP request and websocket resolves its token here.
        query = (
            select(Token, User, Kiosk, ServicePoint)
            .outerjoin(User, (Token.subject_kind == "user") & (User.id == Token.subject_id))
            .outerjoin(Kiosk, (Token.subject_kind != "user") & (Kiosk.id == Token.subject_id))
            .outerjoin(ServicePoint, ServicePoint.id == Kiosk.point_id)
            .where(Token.token_hash == auth.digest(token))
        )
        async with self._db.session() as s:
            found = (await s.execute(query)).first()
        if found is None or found[0].expires_at <= now:
            raise Unauthorized("unknown or expired token")
        row, user, kiosk, point = found
        if row.subject_kind == "user":
            if user is None or not user.active:
                raise Unauthorized("account disabled")
            return Principal(Role(user.role), user.id, user.display_name)
        if kiosk is None or not kiosk.active:
            raise Unauthorized("device disabled")
        point_name = point.name if point is not None else ""
        return Principal(
            Role.KIOSK,
            kiosk.id,
            f"{point_name} {kiosk.name}".strip(),
            point_name=point_name,
            kiosk_name=kiosk.name,
        )

    # --- enrolment -----------------------------------------------------------

    async def create_enrollment_code(
        self, point_name: str, kiosk_name: str, ttl: dt.timedelta = dt.timedelta(hours=24)
    ) -> tuple[str, dt.datetime]:
        """Make a one-time code for a kiosk at `point_name` (the point is created if missing)."""
        point_name, kiosk_name = point_name.strip(), kiosk_name.strip()
        if not point_name or not kiosk_name or len(point_name) > 200 or len(kiosk_name) > 200:
            raise HubError(ErrorCode.BAD_MESSAGE, "point and kiosk names: 1 to 200 characters")
        code = auth.new_enrollment_code()
        expires = utcnow() + ttl
        async with self._db.session() as s, s.begin():
            point = await s.scalar(select(ServicePoint).where(ServicePoint.name == point_name))
            if point is None:
                point = ServicePoint(name=point_name)
                s.add(point)
                await s.flush()
            entry = EnrollmentCode(
                code_hash=auth.digest(auth.normalise_code(code)),
                point_id=point.id,
                kiosk_name=kiosk_name,
                expires_at=expires,
            )
            s.add(entry)
            await s.flush()
            s.add(
                AuditEntry(
                    actor_kind="hub",
                    action="enroll.code",
                    detail={"point_id": point.id, "code_id": entry.id},
                )
            )
        return code, expires

    async def enroll(self, code: str, name: str) -> Enrolment:
        """Spend a one-time code and register a kiosk; raises `Unauthorized` for a bad code."""
        code_hash = auth.digest(auth.normalise_code(code))
        secret = auth.new_token()
        secret_hash = await _off_loop(lambda: auth.hash_secret(secret))
        now = utcnow()
        async with self._db.session() as s, s.begin():
            # The conditional UPDATE is the once-only guarantee, also across hub instances.
            spent = await s.execute(
                update(EnrollmentCode)
                .where(
                    EnrollmentCode.code_hash == code_hash,
                    EnrollmentCode.used_at.is_(None),
                    EnrollmentCode.expires_at > now,
                )
                .values(used_at=now)
            )
            if spent.rowcount != 1:  # type: ignore[attr-defined]
                raise Unauthorized("unknown, used or expired enrolment code")
            entry = await s.scalar(
                select(EnrollmentCode).where(EnrollmentCode.code_hash == code_hash)
            )
            assert entry is not None
            point = await s.get(ServicePoint, entry.point_id)
            assert point is not None
            kiosk = Kiosk(
                name=(name.strip() or entry.kiosk_name)[:200],
                point_id=point.id,
                secret_hash=secret_hash,
                active=True,
            )
            s.add(kiosk)
            await s.flush()
            entry.kiosk_id = kiosk.id
            s.add(
                AuditEntry(
                    actor_kind="device",
                    actor_id=kiosk.id,
                    action="device.enroll",
                    detail={"point_id": point.id, "code_id": entry.id},
                )
            )
            return Enrolment(kiosk.id, secret, point.id, point.name)

    async def device_token(self, device_id: int, secret: str) -> IssuedToken:
        """Exchange a kiosk's credential for a token; raises `Unauthorized`."""
        async with self._db.session() as s:
            kiosk = await s.get(Kiosk, device_id)
        stored = kiosk.secret_hash if kiosk is not None and kiosk.active else None
        ok = await _off_loop(lambda: auth.verify_secret(stored or auth.dummy_hash(), secret))
        if kiosk is None or not kiosk.active or not ok:
            raise Unauthorized("unknown device or wrong secret")
        async with self._db.session() as s, s.begin():
            await s.execute(
                update(Kiosk).where(Kiosk.id == device_id).values(last_seen_at=utcnow())
            )
        return await self._issue("device", device_id, self._device_ttl, "device.token")

    async def touch_kiosk(self, kiosk_id: int) -> None:
        """Record that a kiosk was seen now."""
        async with self._db.session() as s, s.begin():
            await s.execute(update(Kiosk).where(Kiosk.id == kiosk_id).values(last_seen_at=utcnow()))
