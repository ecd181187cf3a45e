"""Failure counters in the database: who has failed too often, per key, in a fixed window.

Kept in the database, so every hub instance sees the same counts and nothing is
forgotten when many keys are in play; bounded, because a window's rows are deleted
once it has passed. Keys are `kind:...` strings (an account with an address, an
address alone); they hold no secrets. Queries only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import case, delete, select, update
from sqlalchemy.exc import IntegrityError

from backoffice_console.hub.accounts.models import Throttle
from backoffice_console.hub.db import Database, rowcount, utcnow

KEY_MAX = 200


def _key(key: str) -> str:
    return key[:KEY_MAX]


class ThrottleStore:
    """Counts failures per key; `blocked` once a key has `allowed` in its window."""

    def __init__(self, db: Database, allowed: int, window_s: float) -> None:
        self._db = db
        self.allowed = allowed
        self.window = dt.timedelta(seconds=window_s)

    async def blocked(self, key: str) -> bool:
        """Whether `key` has used up its failures in its current window."""
        since = utcnow() - self.window
        async with self._db.session() as s:
            failures = await s.scalar(
                select(Throttle.failures).where(
                    Throttle.key == _key(key), Throttle.window_start > since
                )
            )
        return (failures or 0) >= self.allowed

    async def failed(self, keys: Sequence[str]) -> None:
        """Count one failure for each of `keys` (a new window for a key whose window passed)."""
        now = utcnow()
        since = now - self.window
        async with self._db.session() as s, s.begin():
            # Windows that have passed are forgotten: the table stays small under a spray.
            await s.execute(delete(Throttle).where(Throttle.window_start <= since))
        for key in {_key(k) for k in keys}:
            await self._count(key, now, since)

    async def _count(self, key: str, now: dt.datetime, since: dt.datetime) -> None:
        stale = Throttle.window_start <= since
        bump = (
            update(Throttle)
            .where(Throttle.key == key)
            .values(
                failures=case((stale, 1), else_=Throttle.failures + 1),
                window_start=case((stale, now), else_=Throttle.window_start),
            )
        )
        for _ in range(3):  # a concurrent first failure of the same key: update it instead
            async with self._db.session() as s, s.begin():
                if rowcount(await s.execute(bump)) == 1:
                    return
            try:
                async with self._db.session() as s, s.begin():
                    s.add(Throttle(key=key, failures=1, window_start=now))
                return
            except IntegrityError:
                continue

    async def reset(self, key: str) -> None:
        """Forget `key`'s failures (after a success)."""
        async with self._db.session() as s, s.begin():
            await s.execute(delete(Throttle).where(Throttle.key == _key(key)))
