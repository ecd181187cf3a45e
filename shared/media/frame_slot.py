"""The newest frame of a capture loop, and a way to wait for a newer one."""

from __future__ import annotations

import asyncio
import contextlib

import numpy as np


class FrameSlot:
    """Holds only the newest frame: a slow reader skips frames instead of building a queue.

    `seq` counts the frames published; readers remember the last `seq` they saw and
    wait for a newer one.
    """

    def __init__(self) -> None:
        self.frame: np.ndarray | None = None
        self.seq = 0
        self._event = asyncio.Event()

    def publish(self, frame: np.ndarray) -> None:
        """Replace the frame and wake every waiter."""
        self.frame = frame
        self.seq += 1
        self.wake()

    def wake(self) -> None:
        """Wake every waiter without a new frame (the source stopped)."""
        # A fresh event each time: waiters of the old one wake, new waiters wait for the next.
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait_newer(self, after: int, timeout: float) -> int:
        """Wait until a frame newer than `after` exists, or a wake-up, or `timeout`.

        Returns the current `seq`, which equals `after` when nothing new arrived.
        """
        if self.seq > after:
            return self.seq
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
        return self.seq
