"""The hub under systemd: READY once it listens, WATCHDOG from its loop, STOPPING on SIGTERM.

The watchdog task runs on the hub's own asyncio loop: when that loop hangs (a blocking
call, a runaway computation), the task stops feeding, systemd's `WatchdogSec=` runs out
and the unit is restarted. A thread would keep feeding a frozen hub, so none is used.

`VW_HUB_DEBUG_FREEZE_FIFO` (debug and tests only; never set by the packaged unit) makes
SIGUSR2 block the loop until something is written to that FIFO: the honest way for a test
to hang the loop of a real hub process and watch the watchdog go quiet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from pathlib import Path

from shared.sd_notify import Notifier
from shared.tasks import TaskKeeper

log = logging.getLogger(__name__)

FREEZE_ENV = "VW_HUB_DEBUG_FREEZE_FIFO"


class Supervision:
    """What the hub tells its service manager, and the watchdog task."""

    def __init__(self, notifier: Notifier | None = None) -> None:
        self.notifier = notifier or Notifier()
        self._tasks = TaskKeeper("supervision")
        self._freeze_fifo = os.environ.get(FREEZE_ENV) or None

    def started(self, url: str) -> None:
        """The hub listens: READY=1, then the watchdog task (when systemd asked for one)."""
        self.notifier.ready(f"listening on {url}")
        interval = self.notifier.watchdog_interval_s
        if interval is not None:
            self._tasks.start(self._feed(interval), "watchdog")
        if self._freeze_fifo is not None:
            asyncio.get_running_loop().add_signal_handler(signal.SIGUSR2, self._freeze)

    async def _feed(self, interval: float) -> None:
        while True:
            self.notifier.watchdog()
            await asyncio.sleep(interval)

    def _freeze(self) -> None:
        assert self._freeze_fifo is not None
        log.warning("debug freeze: the loop blocks until %s is written", self._freeze_fifo)
        self.notifier.status("frozen")
        # Blocking on purpose, on the loop's own thread: this is the hang under test.
        Path(self._freeze_fifo).read_bytes()
        self.notifier.status("thawed")

    async def stopping(self) -> None:
        """SIGTERM received: STOPPING=1, and the watchdog ends (systemd stops watching)."""
        self.notifier.stopping()
        if self._freeze_fifo is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_signal_handler(signal.SIGUSR2)
        await self._tasks.cancel_all()
