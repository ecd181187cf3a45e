"""The resident's rating after a call (好差评), without Qt.

`RatingDesk.open(session_id)` is called when a call ends. The touch screen shows
the five levels (`shared.protocol.rating.LEVELS`) and the reason chips of the
chosen level; `submit()` posts the rating to the hub with the kiosk's token. A
resident who walks away (nothing chosen within `timeout_s`) or presses 不评价 is
reported as skipped, and the hub makes a follow-up. After the thank-you the desk
closes and the controller goes home. A rating the hub refuses as a repeat (409) is
taken as given; a hub that cannot be reached is logged and the hub's own sweep
makes the follow-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, Field

from shared.config import Section
from shared.hubclient import HubError, HubRequestError, request_json
from shared.protocol.rating import REASONS, RatingBody, SkipBody
from shared.tasks import TaskKeeper

log = logging.getLogger(__name__)


class PointSection(Section):
    """`[point]`: the service point's on-site helper and the rating page's timing."""

    helper: str | None = Field(default=None, max_length=64)
    """Name or staff number of the neighbourhood staff member helping at this kiosk."""
    rating_timeout_s: float = Field(default=60.0, ge=5.0, le=600.0)
    """No choice within this time: the resident has left (a follow-up is made)."""
    thanks_s: float = Field(default=3.0, ge=0.0, le=30.0)


class RatingState(StrEnum):
    """Where the rating page is."""

    CLOSED = "closed"
    OPEN = "open"
    SENDING = "sending"
    THANKS = "thanks"


class JsonPoster(Protocol):
    """The part of `shared.hubclient.HubClient` the desk uses."""

    async def post_json(self, path: str, payload: dict[str, Any]) -> Any: ...


class RatingDesk:
    """State of the rating page; the UI reads it and calls `choose`, `toggle`, `submit`."""

    def __init__(
        self,
        hub: JsonPoster,
        point: PointSection | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.hub = hub
        self.point = point or PointSection()
        self._listeners: list[Callable[[], None]] = [on_change] if on_change else []
        self._tasks = TaskKeeper("rating")
        self._timer: asyncio.Task[Any] | None = None
        self._closed_event = asyncio.Event()
        self._closed_event.set()
        self.state = RatingState.CLOSED
        self.session_id: str | None = None
        self.level: int | None = None
        self.reasons: list[str] = []
        self.outcome: str | None = None  # rated | skipped | failed
        self.deadline: float | None = None  # time.monotonic()

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Call `listener()` after every change."""
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("rating listener failed")

    @property
    def active(self) -> bool:
        """Whether the rating page should be on screen."""
        return self.state != RatingState.CLOSED

    def open(self, session_id: str) -> None:
        """A call ended: show the rating page for `session_id`.

        A repeat while the page is up for the same session changes nothing: it must not
        undo the resident's choice or answer (once closed, the page may open again).
        """
        if session_id == self.session_id and self.state != RatingState.CLOSED:
            return
        self._cancel_timer()
        self.session_id = session_id
        self.level, self.reasons, self.outcome = None, [], None
        self.state = RatingState.OPEN
        self._closed_event.clear()
        self._restart_timer()
        self._notify()

    def seconds_left(self) -> int:
        """Whole seconds until the page gives up (for its countdown)."""
        if self.deadline is None:
            return 0
        return max(0, int(self.deadline - time.monotonic() + 0.999))

    def choose(self, level: int) -> None:
        """The resident tapped a level; reasons of another level are dropped."""
        if self.state != RatingState.OPEN or level not in REASONS:
            return
        if level != self.level:
            self.reasons = [r for r in self.reasons if r in REASONS[level]]
        self.level = level
        self._extend()  # a resident who is choosing has not left
        self._notify()

    def toggle(self, reason: str) -> None:
        """Tap a reason chip of the chosen level (on or off)."""
        if self.state != RatingState.OPEN or self.level is None:
            return
        if reason not in REASONS[self.level]:
            return
        if reason in self.reasons:
            self.reasons.remove(reason)
        else:
            self.reasons.append(reason)
        self._extend()
        self._notify()

    async def submit(self) -> bool:
        """Post the chosen rating; False (nothing sent) when no level is chosen."""
        if self.state != RatingState.OPEN or self.level is None or self.session_id is None:
            return False
        self._cancel_timer()
        self.state = RatingState.SENDING
        self._notify()
        path = f"/api/v1/sessions/{self.session_id}/rating"
        self.outcome = await self._post(
            path, RatingBody, "rated", level=self.level, reasons=self.reasons,
            helper=self.point.helper,
        )  # fmt: skip
        self._thank()
        return True

    async def skip(self) -> None:
        """The resident declined or left: tell the hub (a follow-up), then close."""
        if self.state != RatingState.OPEN or self.session_id is None:
            return
        self._cancel_timer()
        self.state = RatingState.SENDING
        self._notify()
        fields = {"helper": self.point.helper} if self.point.helper else {}
        path = f"/api/v1/sessions/{self.session_id}/rating/skip"
        self.outcome = await self._post(path, SkipBody, "skipped", **fields)
        self.close()

    async def _post(self, path: str, body: type[BaseModel], done: str, **fields: Any) -> str:
        """POST the request body `body(**fields)`; the reply is not needed (only its status)."""
        try:
            await self.hub.post_json(path, request_json(body, **fields))
        except HubRequestError as exc:
            if exc.code == "conflict":  # already rated (a retry after a lost answer)
                return done
            log.warning("rating refused by the hub: %s", exc.code)
            return "failed"
        except HubError as exc:
            log.warning("rating not delivered: %s", exc)
            return "failed"
        log.info("rating %s", done)
        return done

    def _thank(self) -> None:
        self.state = RatingState.THANKS
        self.deadline = time.monotonic() + self.point.thanks_s
        self._notify()
        self._timer = self._tasks.start(self._close_later(self.point.thanks_s), "rating-thanks")

    async def _close_later(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self.close()

    async def _time_out(self) -> None:
        # Taps move the deadline (`_extend`) from Qt slots, which cannot touch this task.
        while self.deadline is not None and (left := self.deadline - time.monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(left)
        self._timer = None
        await self.skip()

    def _extend(self) -> None:
        self.deadline = time.monotonic() + self.point.rating_timeout_s

    def _restart_timer(self) -> None:
        self._cancel_timer()
        self._extend()
        self._timer = self._tasks.start(self._time_out(), "rating-timeout")

    def _cancel_timer(self) -> None:
        timer, self._timer = self._timer, None
        if timer is None or timer.done():
            return
        try:
            current = asyncio.current_task()
        except RuntimeError:  # called from a Qt slot outside the loop (tests)
            current = None
        if timer is not current:
            timer.cancel()

    def close(self) -> None:
        """Leave the rating page (after thanks, a skip, or a new call starting)."""
        self._cancel_timer()
        if self.state == RatingState.CLOSED:
            return
        self.state = RatingState.CLOSED
        self.deadline = None
        self._closed_event.set()
        self._notify()

    async def wait_closed(self) -> None:
        """Until the page is closed (the controller goes home after this)."""
        await self._closed_event.wait()

    async def shutdown(self) -> None:
        """Stop the timers (the kiosk is stopping)."""
        with contextlib.suppress(Exception):
            await self._tasks.cancel_all()
