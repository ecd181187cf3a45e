"""Who is calling: the `Principal` behind a bearer token, and who can tell."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from shared.protocol import Role


@dataclass(frozen=True)
class Principal:
    """Who a token belongs to: a user (officer/technician/admin) or a kiosk."""

    role: Role
    subject_id: int
    display_name: str
    point_name: str = ""
    kiosk_name: str = ""
    login_id: int | None = None
    """The log-in the token belongs to: a websocket lives as long as it does."""

    @property
    def is_kiosk(self) -> bool:
        """Whether this is a kiosk (a device token)."""
        return self.role is Role.KIOSK

    @property
    def actor_kind(self) -> str:
        """The audit log's actor kind: `device` or `user`."""
        return "device" if self.is_kiosk else "user"


@dataclass(frozen=True)
class LoginEnded:
    """Why a log-in no longer holds: the websocket close code and a short reason."""

    code: int
    reason: str


class Authenticator(Protocol):
    """Turns a bearer token into its principal (the accounts domain provides it)."""

    async def resolve(self, token: str) -> Principal:
        """The token's principal; raises `Unauthorized` for an unknown or expired token."""
        ...

    async def ended(self, login_ids: Collection[int]) -> dict[int, LoginEnded]:
        """Of `login_ids`, those that no longer hold (expired, revoked, account disabled)."""
        ...
