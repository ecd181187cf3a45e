"""The second factor: TOTP (RFC 6238, pyotp) secrets, codes, recovery codes, resets.

A user enrols (a secret and its otpauth:// URI for the authenticator app), confirms
with a first code (then every log-in needs a code) and receives ten one-time recovery
codes. The secret is sealed with the hub's key, the user's id as associated data; a
code is accepted once (its time step must be newer than the last accepted one), one
step either side of now. Recovery codes are kept as SHA-256 digests (they are long
random strings). An administrator's reset (with a reason) removes the factor.
Queries only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import pyotp
from sqlalchemy import delete, or_, select, update

from backoffice_console.hub.accounts.logins import USER, LoginStore
from backoffice_console.hub.accounts.models import RecoveryCode, User
from backoffice_console.hub.core.audit import audit_entry
from backoffice_console.hub.core.errors import HubError, Unauthorized
from backoffice_console.hub.core.models import AuditEntry
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.core.vault import IdentityVault
from backoffice_console.hub.db import Database, rowcount, utcnow
from shared.protocol import ErrorCode

ISSUER = "远程虚拟窗口"
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _aad(user_id: int) -> str:
    return f"totp:{user_id}"


def _digest(code: str) -> str:
    clean = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(clean.encode()).hexdigest()


def new_recovery_code() -> str:
    """A recovery code like `K7QM-3WXP-9TZA` (60 bits; the dashes are optional when typed)."""
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


class TotpStore:
    """Enrol, confirm, check and reset users' second factor."""

    def __init__(self, db: Database, vault: IdentityVault | None, logins: LoginStore) -> None:
        self._db = db
        self._vault = vault
        self._logins = logins

    def _need_vault(self) -> IdentityVault:
        if self._vault is None:
            raise HubError(ErrorCode.INTERNAL, "the hub has no key: no second factor possible")
        return self._vault

    def _totp(self, user: User) -> pyotp.TOTP:
        if user.totp_nonce is None or user.totp_secret is None:
            raise HubError(ErrorCode.BAD_STATE, "no second factor enrolled")
        secret = self._need_vault().open(_aad(user.id), user.totp_nonce, user.totp_secret)
        return pyotp.TOTP(secret.decode("ascii"))

    async def enrol(self, who: Principal) -> tuple[str, str]:
        """A new (not yet active) secret for the caller: (secret, otpauth URI)."""
        vault = self._need_vault()
        secret = pyotp.random_base32()
        nonce, sealed = vault.seal(_aad(who.subject_id), secret.encode("ascii"))
        async with self._db.session() as s, s.begin():
            user = await s.get(User, who.subject_id)
            if user is None:
                raise Unauthorized("account disabled")
            if user.totp_enabled:
                raise HubError(ErrorCode.CONFLICT, "a second factor is already active")
            user.totp_nonce, user.totp_secret, user.totp_last_step = nonce, sealed, None
            s.add(audit_entry(who, "auth.totp_enrol"))
            name = user.username
        uri = pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=ISSUER)
        return secret, uri

    async def confirm(self, who: Principal, code: str) -> list[str]:
        """Activate the enrolled secret with a first code; the new recovery codes."""
        async with self._db.session() as s:
            user = await s.get(User, who.subject_id)
        if user is None:
            raise Unauthorized("account disabled")
        if user.totp_enabled:
            raise HubError(ErrorCode.CONFLICT, "a second factor is already active")
        step = self._step_of(self._totp(user), code)
        if step is None:
            await self._audit(user.id, "auth.totp_failed")
            raise HubError(ErrorCode.FORBIDDEN, "wrong code")
        codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
        async with self._db.session() as s, s.begin():
            await s.execute(
                update(User)
                .where(User.id == user.id)
                .values(totp_enabled=True, totp_last_step=step)
            )
            await s.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
            s.add_all(RecoveryCode(user_id=user.id, code_hash=_digest(c)) for c in codes)
            s.add(audit_entry(who, "auth.totp_enabled", recovery_codes=len(codes)))
        return codes

    @staticmethod
    def _step_of(totp: pyotp.TOTP, code: str) -> int | None:
        now = utcnow()
        for offset in (0, -1, 1):
            at = now + dt.timedelta(seconds=offset * totp.interval)
            if secrets.compare_digest(totp.at(at), code):
                return int(totp.timecode(at))
        return None

    async def _audit(self, user_id: int, action: str) -> None:
        async with self._db.session() as s, s.begin():
            s.add(AuditEntry(actor_kind=USER, actor_id=user_id, action=action, detail={}))

    async def check(self, user: User, code: str | None, recovery: str | None) -> None:
        """A log-in's second factor, after its password was found right.

        HubError totp_required when the user has one and gave neither code;
        `Unauthorized` for a wrong, reused or spent code (a failed log-in).
        """
        if not user.totp_enabled:
            return
        if code is None and recovery is None:
            raise HubError(ErrorCode.TOTP_REQUIRED, "enter the code of your authenticator app")
        if code is not None:
            step = self._step_of(self._totp(user), code)
            if step is not None:
                async with self._db.session() as s, s.begin():
                    fresh = await s.execute(
                        update(User)
                        .where(
                            User.id == user.id,
                            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
                        )
                        .values(totp_last_step=step)
                    )
                if rowcount(fresh) == 1:
                    return
            await self._audit(user.id, "auth.totp_failed")
            raise Unauthorized("wrong or used code")
        assert recovery is not None
        async with self._db.session() as s, s.begin():
            spent = await s.execute(
                update(RecoveryCode)
                .where(
                    RecoveryCode.user_id == user.id,
                    RecoveryCode.code_hash == _digest(recovery),
                    RecoveryCode.used_at.is_(None),
                )
                .values(used_at=utcnow())
            )
            if rowcount(spent) == 1:
                left = await s.scalar(
                    select(RecoveryCode.id)
                    .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
                    .limit(1)
                )
                s.add(
                    AuditEntry(
                        actor_kind=USER, actor_id=user.id, action="auth.recovery_used",
                        detail={"codes_left": left is not None},
                    )
                )  # fmt: skip
                return
        await self._audit(user.id, "auth.totp_failed")
        raise Unauthorized("wrong or used recovery code")

    async def reset(self, actor: Principal, user_id: int, reason: str) -> list[int]:
        """An administrator removes a lost factor (audited with the reason); ends log-ins."""
        async with self._db.session() as s, s.begin():
            done = await s.execute(
                update(User)
                .where(User.id == user_id)
                .values(totp_enabled=False, totp_nonce=None, totp_secret=None, totp_last_step=None)
            )
            if rowcount(done) != 1:
                raise HubError(ErrorCode.NOT_FOUND, "no such user")
            await s.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
            ended = await self._logins.revoke_in(s, USER, user_id, "factor reset")
            s.add(audit_entry(actor, "user.totp_reset", user_id=user_id, reason=reason))
        return ended
