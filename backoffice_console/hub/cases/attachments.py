"""Checklist references other domains store: pages (materials), signed forms (documents).

Cases import neither of those domains. Each registers, at its set-up, the check for
its kind of reference on the cases service:

    app[CASES_KEY].attachments.register("page", check_page)

Assigning a reference to a checklist item runs its kind's check inside the
assignment's transaction, after the case row is locked; the check raises `HubError`
(`bad_message`) unless `ref` names a row of that kind in `case`'s session, and
nothing is assigned then.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.cases.models import Case
from backoffice_console.hub.core.errors import HubError
from shared.protocol import ErrorCode

AttachmentCheck = Callable[[AsyncSession, Case, str], Awaitable[None]]
"""`check(s, case, ref)`: returns when `ref` is of `case`'s session, raises `HubError` otherwise."""


class Attachments:
    """The checks of the reference kinds a checklist may hold, by kind (`page`, `document`)."""

    def __init__(self) -> None:
        self._checks: dict[str, AttachmentCheck] = {}

    def register(self, kind: str, check: AttachmentCheck) -> None:
        """Check references of `kind` with `check` (one check per kind)."""
        if kind in self._checks:
            raise ValueError(f"attachment kind {kind!r} already has a check")
        self._checks[kind] = check

    def kinds(self) -> frozenset[str]:
        """The kinds with a check."""
        return frozenset(self._checks)

    async def check(self, s: AsyncSession, case: Case, kind: str, ref: str) -> None:
        """Run `kind`'s check; a kind nobody registered has no such reference."""
        check = self._checks.get(kind)
        if check is None:
            raise HubError(ErrorCode.BAD_MESSAGE, f"no such {kind} in this case's session")
        await check(s, case, ref)
