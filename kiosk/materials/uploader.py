"""Sends the outbox's pending pages to the hub, retrying with backoff until each is stored.

`Uploader.run()` is one long-lived task: it sends every pending page, oldest
first (`POST /api/v1/sessions/{id}/materials`, the page's SHA-256 as
idempotency key, so a page whose reply was lost is simply sent again and the hub
answers with the same material id). When the hub is unreachable or answers
with a server error it waits (0.5 s doubling to 30 s) and tries again; `wake()`
(a new page, the hub connection back) cuts the wait short. A page the hub
refuses for good (`invalid_image`, `not_in_session`, `forbidden`) is marked
refused and kept on disk, so one bad page never blocks the ones behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

from pydantic import ValidationError

from kiosk.materials.outbox import Outbox, OutboxPage
from shared.hubclient import HubAuthError, HubError, HubRequestError
from shared.protocol.http import invalid_text
from shared.protocol.materials import MaterialStored

log = logging.getLogger(__name__)

PERMANENT_CODES = frozenset({"invalid_image", "not_in_session", "forbidden", "not_found"})
"""Hub refusals that no retry can fix."""


class BytesPoster(Protocol):
    """The part of `shared.hubclient.HubClient` the uploader uses."""

    async def post_bytes(
        self, path: str, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> Any: ...


class Uploader:
    """Drains the outbox into the hub (see module docstring).

    `on_change(page)` is called after every page changes state (for the UI's
    待上传 / 已送达).
    """

    BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)

    def __init__(
        self,
        outbox: Outbox,
        hub: BytesPoster,
        on_change: Callable[[OutboxPage], None] | None = None,
        backoff: tuple[float, ...] | None = None,
    ) -> None:
        self.outbox = outbox
        self._hub = hub
        self._on_change = on_change
        self._wake = asyncio.Event()
        self.backoff = backoff or self.BACKOFF
        self.sent = 0
        self.failures = 0
        self.idle = asyncio.Event()

    def wake(self) -> None:
        """Look at the outbox now (a page was added, the network is back)."""
        self._wake.set()

    async def run(self) -> None:
        """Send pending pages forever; cancel the task to stop."""
        failures = 0
        while True:
            self._wake.clear()
            try:
                ok = await self.drain()
            except Exception:
                log.exception("the uploader failed; retrying")
                ok = False
            if ok:
                failures = 0
                self.idle.set()
                await self._wake.wait()
                continue
            self.idle.clear()
            delay = self.backoff[min(failures, len(self.backoff) - 1)]
            failures += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def drain(self) -> bool:
        """Send every pending page once; False when one must be retried later."""
        for page in await self.outbox.pending():
            if not await self.send(page):
                return False
        return True

    async def send(self, page: OutboxPage) -> bool:
        """One attempt at one page; True when it is done with (sent or refused for good)."""
        try:
            data = await self.outbox.read(page)
        except OSError as exc:
            log.error("outbox page %d unreadable: %s", page.id, exc)
            await self._failed(page, "unreadable", refused=True)
            return True
        headers = {"X-Content-SHA256": page.sha256}
        if page.command_id:
            headers["X-Command-Id"] = page.command_id
        try:
            reply = MaterialStored.model_validate(
                await self._hub.post_bytes(
                    f"/api/v1/sessions/{page.session_id}/materials", data, "image/jpeg", headers
                )
            )
        except HubRequestError as exc:
            permanent = exc.code in PERMANENT_CODES
            log.warning("the hub refused page %d: %s", page.id, exc.code)
            await self._failed(page, exc.code, refused=permanent)
            return permanent
        except HubAuthError:
            log.warning("the hub did not accept the kiosk's token for an upload")
            await self._failed(page, "unauthorised")
            return False
        except HubError as exc:
            log.info("page %d not sent yet: %s", page.id, type(exc).__name__)
            await self._failed(page, "unreachable")
            return False
        except ValidationError as exc:  # stored or not, a retry is safe: the digest is the key
            log.warning("the hub's answer to page %d is malformed: %s", page.id, invalid_text(exc))
            await self._failed(page, "bad_reply")
            return False
        material_id, page_no = reply.material_id, reply.page_no
        await self.outbox.mark_sent(page.id, material_id, page_no)
        self.sent += 1
        log.info("page %d delivered as material %d", page.id, material_id)
        self._changed(page)
        return True

    async def _failed(self, page: OutboxPage, error: str, refused: bool = False) -> None:
        self.failures += 1
        await self.outbox.mark_failed(page.id, error, refused)
        self._changed(page)

    def _changed(self, page: OutboxPage) -> None:
        if self._on_change is not None:
            try:
                self._on_change(page)
            except Exception:
                log.exception("outbox listener failed")
