"""An administrator's work on accounts and kiosks: list, disable and enable, reset a password.

Queries only; every change is audited in its own transaction with the reason given,
and ends the log-ins it must (the service closes their sockets).
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select, update

from backoffice_console.hub.accounts import secrets as auth
from backoffice_console.hub.accounts.logins import DEVICE, USER, LoginStore
from backoffice_console.hub.accounts.models import Kiosk, ServicePoint, User
from backoffice_console.hub.accounts.store import off_loop
from backoffice_console.hub.core.audit import audit_entry
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db import Database, rowcount
from shared.protocol import ErrorCode

TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""Temporary passwords avoid look-alike characters: they are read off a screen and typed."""


class AccountLifecycle:
    """Disable, enable and reset accounts; revoke and restore kiosk credentials."""

    def __init__(self, db: Database, logins: LoginStore) -> None:
        self._db = db
        self._logins = logins

    async def users(self) -> list[dict[str, Any]]:
        """Every account, by user name (no password hashes)."""
        async with self._db.session() as s:
            rows = list(await s.scalars(select(User).order_by(User.username)))
        return [
            {
                "id": u.id,
                "username": u.username,
                "display_name": u.display_name,
                "role": u.role,
                "active": u.active,
                "lines": list(u.lines or []),
                "must_change_password": u.must_change_password,
                "created_at": u.created_at.isoformat(),
            }
            for u in rows
        ]

    async def set_user_active(
        self, actor: Principal, user_id: int, active: bool, reason: str
    ) -> list[int]:
        """Disable or enable an account; disabling ends its log-ins (their ids)."""
        if not active and actor.subject_id == user_id and not actor.is_kiosk:
            raise HubError(ErrorCode.BAD_STATE, "an administrator cannot disable their own account")
        async with self._db.session() as s, s.begin():
            done = await s.execute(update(User).where(User.id == user_id).values(active=active))
            if rowcount(done) != 1:
                raise HubError(ErrorCode.NOT_FOUND, "no such user")
            ended = [] if active else await self._logins.revoke_in(s, USER, user_id, "disabled")
            s.add(
                audit_entry(
                    actor, "user.enable" if active else "user.disable",
                    user_id=user_id, reason=reason, logins_ended=len(ended),
                )
            )  # fmt: skip
        return ended

    async def reset_password(
        self, actor: Principal, user_id: int, reason: str
    ) -> tuple[str, list[int]]:
        """A temporary password the user must change at the next log-in; ends their log-ins."""
        temporary = "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(14))
        new_hash = await off_loop(lambda: auth.hash_secret(temporary))
        async with self._db.session() as s, s.begin():
            done = await s.execute(
                update(User)
                .where(User.id == user_id)
                .values(password_hash=new_hash, must_change_password=True)
            )
            if rowcount(done) != 1:
                raise HubError(ErrorCode.NOT_FOUND, "no such user")
            ended = await self._logins.revoke_in(s, USER, user_id, "password reset")
            s.add(
                audit_entry(
                    actor, "user.password_reset",
                    user_id=user_id, reason=reason, logins_ended=len(ended),
                )
            )  # fmt: skip
        return temporary, ended

    async def kiosks(self) -> list[dict[str, Any]]:
        """Every enrolled kiosk with its point, by point and name."""
        query = (
            select(Kiosk, ServicePoint)
            .join(ServicePoint, ServicePoint.id == Kiosk.point_id)
            .order_by(ServicePoint.name, Kiosk.name, Kiosk.id)
        )
        async with self._db.session() as s:
            rows = (await s.execute(query)).all()
        return [
            {
                "id": k.id,
                "name": k.name,
                "point": {"id": p.id, "name": p.name},
                "active": k.active,
                "enrolled_at": k.enrolled_at.isoformat(),
                "last_seen_at": k.last_seen_at.isoformat() if k.last_seen_at else None,
            }
            for k, p in rows
        ]

    async def set_kiosk_active(
        self, actor: Principal, kiosk_id: int, active: bool, reason: str
    ) -> list[int]:
        """Revoke (or restore) a kiosk's credential; revoking ends its log-ins (their ids)."""
        async with self._db.session() as s, s.begin():
            done = await s.execute(update(Kiosk).where(Kiosk.id == kiosk_id).values(active=active))
            if rowcount(done) != 1:
                raise HubError(ErrorCode.NOT_FOUND, "no such kiosk")
            ended = [] if active else await self._logins.revoke_in(s, DEVICE, kiosk_id, "revoked")
            s.add(
                audit_entry(
                    actor, "device.restore" if active else "device.revoke",
                    kiosk_id=kiosk_id, reason=reason, logins_ended=len(ended),
                )
            )  # fmt: skip
        return ended
