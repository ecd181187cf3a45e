"""Users, kiosks and their credentials: accounts, log-in, enrolment, device log-in.

argon2 work runs in the default executor so the event loop keeps serving
websockets while a password is checked. No database session is held while
hashing: on SQLite the pool has one connection (see `db.Database`). Tokens and
log-ins are `LoginStore`'s (`logins.py`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from backoffice_console.hub.accounts import secrets as auth
from backoffice_console.hub.accounts.logins import DEVICE, USER, IssuedTokens, LoginStore
from backoffice_console.hub.accounts.models import EnrollmentCode, Kiosk, ServicePoint, User
from backoffice_console.hub.accounts.passwords import MIN_LENGTH, password_problem
from backoffice_console.hub.accounts.totp import TotpStore
from backoffice_console.hub.core.errors import HubError, Unauthorized
from backoffice_console.hub.core.models import AuditEntry
from backoffice_console.hub.db import Database, utcnow
from shared.protocol import ErrorCode, Role

log = logging.getLogger(__name__)

USER_ROLES = (Role.OFFICER, Role.SUPERVISOR, Role.TECHNICIAN, Role.ADMIN, Role.AUDITOR)
T = TypeVar("T")


@dataclass(frozen=True)
class Enrolment:
    """The result of a successful enrolment."""

    device_id: int
    secret: str
    point_id: int
    point_name: str


async def off_loop(fn: Callable[[], T]) -> T:
    """Run slow work (argon2) in the default executor."""
    return await asyncio.get_running_loop().run_in_executor(None, fn)


class AccountStore:
    """Reads and writes users, service points, kiosks and enrolment codes; logs them in."""

    def __init__(
        self,
        db: Database,
        logins: LoginStore,
        password_min_length: int = MIN_LENGTH,
        totp: TotpStore | None = None,
    ) -> None:
        self._db = db
        self.logins = logins
        self.password_min_length = password_min_length
        self.totp = totp or TotpStore(db, None, logins)

    # --- users ---------------------------------------------------------------

    def check_password(self, password: str, username: str) -> None:
        """HubError weak_password when `password` breaks the rules (`passwords.py`)."""
        problem = password_problem(password, username, self.password_min_length)
        if problem is not None:
            raise HubError(ErrorCode.WEAK_PASSWORD, problem)

    async def create_user(
        self,
        username: str,
        display_name: str,
        role: Role,
        password: str,
        actor_id: int | None = None,
    ) -> int:
        """Add a user; `conflict` if the username is taken, `weak_password` by the rules."""
        if role not in USER_ROLES:
            raise HubError(
                ErrorCode.BAD_MESSAGE, f"role must be one of {[r.value for r in USER_ROLES]}"
            )
        if not username.strip() or not display_name.strip():
            raise HubError(ErrorCode.BAD_MESSAGE, "username and display name required")
        self.check_password(password, username)
        password_hash = await off_loop(lambda: auth.hash_secret(password))
        try:
            async with self._db.session() as s, s.begin():
                user = User(
                    username=username.strip(),
                    display_name=display_name.strip(),
                    password_hash=password_hash,
                    role=role.value,
                    active=True,
                    password_changed_at=utcnow(),
                )
                s.add(user)
                await s.flush()
                s.add(
                    AuditEntry(
                        actor_kind="hub" if actor_id is None else USER,
                        actor_id=actor_id,
                        action="user.create",
                        detail={"user_id": user.id, "role": role.value},
                    )
                )
                return user.id
        except IntegrityError:
            raise HubError(ErrorCode.CONFLICT, "username already exists") from None

    async def login(
        self,
        username: str,
        password: str,
        *,
        new_password: str | None = None,
        source: str = "",
        throttled: bool = False,
        totp_code: str | None = None,
        recovery_code: str | None = None,
    ) -> tuple[IssuedTokens, User]:
        """Check a password and start a log-in; raises `Unauthorized`.

        The password is always checked, at the same cost for every name. `throttled`
        (this account from this address failed too often) then refuses even a right
        password, so the answer tells a guesser nothing, and a guesser elsewhere cannot
        lock the owner out. A user whose password an administrator reset must give
        `new_password` (HubError password_change_required, after the password was right).
        """
        async with self._db.session() as s:
            user = await s.scalar(select(User).where(User.username == username))
        stored = user.password_hash if user is not None and user.active else None
        ok = await off_loop(lambda: auth.verify_secret(stored or auth.dummy_hash(), password))
        if throttled:
            await self._audit(
                user.id if user is not None else None, "auth.login_throttled", source=source
            )
            raise HubError(ErrorCode.RATE_LIMITED, "too many failed logins; try again later")
        if user is None or not user.active or not ok:
            await self._audit(
                user.id if user is not None else None, "auth.login_failed", source=source
            )
            raise Unauthorized("wrong username or password")
        # The second factor, when the account has one (a wrong code is a failed log-in).
        await self.totp.check(user, totp_code, recovery_code)
        if user.must_change_password and new_password is None:
            raise HubError(
                ErrorCode.PASSWORD_CHANGE_REQUIRED,
                "the password was reset: choose a new one to log in",
            )
        if new_password is not None:
            await self._set_password(user, password, new_password, "auth.password_change")
        tokens = await self.logins.start(USER, user.id, "auth.login", source=source)
        return tokens, user

    async def _audit(self, user_id: int | None, action: str, **detail: object) -> None:
        async with self._db.session() as s, s.begin():
            s.add(AuditEntry(actor_kind=USER, actor_id=user_id, action=action, detail=detail))

    async def _set_password(
        self, user: User, old: str, new: str, action: str, keep: int | None = None
    ) -> list[int]:
        if new == old:
            raise HubError(ErrorCode.WEAK_PASSWORD, "the new password must differ from the old")
        self.check_password(new, user.username)
        new_hash = await off_loop(lambda: auth.hash_secret(new))
        async with self._db.session() as s, s.begin():
            await s.execute(
                update(User)
                .where(User.id == user.id)
                .values(
                    password_hash=new_hash, must_change_password=False, password_changed_at=utcnow()
                )
            )
            # Other log-ins of the account end: a changed password shuts out whoever had the old.
            ended = await self.logins.revoke_in(s, USER, user.id, "password changed", keep)
            s.add(
                AuditEntry(
                    actor_kind=USER,
                    actor_id=user.id,
                    action=action,
                    detail={"logins_ended": len(ended)},
                )
            )
        return ended

    async def change_password(
        self, user_id: int, old: str, new: str, keep: int | None = None
    ) -> list[int]:
        """The user changes their own password (the old one checked); ends their other log-ins."""
        async with self._db.session() as s:
            user = await s.get(User, user_id)
        if user is None or not user.active:
            raise Unauthorized("account disabled")
        ok = await off_loop(lambda: auth.verify_secret(user.password_hash, old))
        if not ok:
            await self._audit(user.id, "auth.password_change_failed")
            raise HubError(ErrorCode.FORBIDDEN, "the old password is wrong")
        return await self._set_password(user, old, new, "auth.password_change", keep)

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
        secret_hash = await off_loop(lambda: auth.hash_secret(secret))
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

    async def device_token(self, device_id: int, secret: str, source: str = "") -> IssuedTokens:
        """Exchange a kiosk's credential for a log-in; raises `Unauthorized`."""
        async with self._db.session() as s:
            kiosk = await s.get(Kiosk, device_id)
        stored = kiosk.secret_hash if kiosk is not None and kiosk.active else None
        ok = await off_loop(lambda: auth.verify_secret(stored or auth.dummy_hash(), secret))
        if kiosk is None or not kiosk.active or not ok:
            async with self._db.session() as s, s.begin():
                s.add(
                    AuditEntry(
                        actor_kind=DEVICE,
                        actor_id=device_id if kiosk is not None else None,
                        action="device.token_failed",
                        detail={"source": source},
                    )
                )
            raise Unauthorized("unknown device or wrong secret")
        async with self._db.session() as s, s.begin():
            await s.execute(
                update(Kiosk).where(Kiosk.id == device_id).values(last_seen_at=utcnow())
            )
        return await self.logins.start(DEVICE, device_id, "device.token", source=source)

    async def touch_kiosk(self, kiosk_id: int) -> None:
        """Record that a kiosk was seen now."""
        async with self._db.session() as s, s.begin():
            await s.execute(update(Kiosk).where(Kiosk.id == kiosk_id).values(last_seen_at=utcnow()))
