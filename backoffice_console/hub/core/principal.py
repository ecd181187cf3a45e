"""Who is calling: the `Principal` behind a bearer token, and who can tell."""

from __future__ import annotations

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

    @property
    def is_kiosk(self) -> bool:
        """Whether this is a kiosk (a device token)."""
        return self.role is Role.KIOSK

    @property
    def actor_kind(self) -> str:
        """The audit log's actor kind: `device` or `user`."""
        return "device" if self.is_kiosk else "user"


class Authenticator(Protocol):
    """Turns a bearer token into its principal (the accounts domain provides it)."""

    async def resolve(self, token: str) -> Principal:
        """The token's principal; raises `Unauthorized` for an unknown or expired token."""
        ...
