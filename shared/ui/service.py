"""systemd's view of a Qt app: READY when its windows are up, a watchdog fed by the Qt loop.

Under a unit with `Type=notify` and `WatchdogSec=`, systemd passes `NOTIFY_SOCKET`
and `WATCHDOG_USEC`. The watchdog is a QTimer on the Qt event loop (the loop that
also runs the app's asyncio work through qasync): while the loop turns, WATCHDOG=1
goes out every half timeout; when the UI freezes, the timer stops firing, systemd
sees the silence and restarts the app. A thread would keep feeding a frozen UI.
Outside systemd nothing is sent (see shared.sd_notify).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer

from shared.sd_notify import Notifier

log = logging.getLogger(__name__)


class ServiceNotifier(QObject):
    """Tells the service manager that the app is ready, alive (from the Qt loop) and stopping."""

    def __init__(self, notifier: Notifier | None = None) -> None:
        super().__init__()
        self.notifier = notifier if notifier is not None else Notifier()
        self._stopping = False
        self.timer = QTimer(self)
        interval = self.notifier.watchdog_interval_s
        if interval is not None:
            # Half systemd's timeout already; never below 10 ms, however small the test's.
            self.timer.setInterval(max(10, int(interval * 1000)))
            self.timer.timeout.connect(self.notifier.watchdog)
            self.timer.start()
            log.info("feeding systemd's watchdog every %.1f s from the Qt loop", interval)

    def ready(self, status: str = "") -> None:
        """The windows are up: READY=1 (and a status line)."""
        self.notifier.ready(status)

    def stopping(self) -> None:
        """The app is stopping on purpose: STOPPING=1, once."""
        if not self._stopping:
            self._stopping = True
            self.notifier.stopping()

    def close(self) -> None:
        """Stop feeding the watchdog (the loop is about to end)."""
        self.timer.stop()
