"""Starting a Qt app on a qasync event loop, and stopping it cleanly on SIGTERM/SIGINT.

`run_app` owns the process life cycle of kiosk and console:
QApplication -> CJK font -> theme -> `main(app)` as a coroutine on the qasync
loop (so every aiortc/aiohttp object lives on the Qt thread) -> exit code.
`main` learns that the user or the system wants it to stop by awaiting
`wait_quit_requested()`; it then shuts its own things down and returns 0.
Leftover tasks are cancelled by `asyncio.run` when `main` returns.

Under systemd (`Type=notify`, `WatchdogSec=`) the app feeds the watchdog from the
Qt loop for as long as it runs (`shared.ui.service`); `main` calls `notify_ready()`
once its windows are shown, and a quit request sends STOPPING=1.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Awaitable, Callable, Sequence

import qasync
from PySide6.QtCore import QSocketNotifier
from PySide6.QtWidgets import QApplication

from shared.media import set_label_renderer
from shared.ui.fonts import FontNotFoundError, install_cjk_font
from shared.ui.label_renderer import qt_label_renderer
from shared.ui.service import ServiceNotifier
from shared.ui.theme import ThemeError, apply_theme

log = logging.getLogger(__name__)

AppMain = Callable[[QApplication], Awaitable[int]]

_quit_event: asyncio.Event | None = None
_quit_reason: str | None = None
_service: ServiceNotifier | None = None


def request_quit(reason: str = "requested") -> None:
    """Ask the running app to stop; `wait_quit_requested()` returns. Safe to call repeatedly."""
    global _quit_reason  # noqa: PLW0603 - one app per process
    if _quit_event is None:
        return
    if not _quit_event.is_set():
        _quit_reason = reason
        log.info("quit requested (%s)", reason)
        if _service is not None:
            _service.stopping()
        _quit_event.set()


def notify_ready(status: str = "") -> None:
    """Tell the service manager (if any) that the app's windows are up: READY=1."""
    if _service is not None:
        _service.ready(status)


def quit_requested() -> bool:
    """Whether a quit has been requested."""
    return _quit_event is not None and _quit_event.is_set()


def quit_reason() -> str | None:
    """Why the quit was requested ("SIGTERM", "SIGINT", "last window closed", ...)."""
    return _quit_reason


async def wait_quit_requested() -> str:
    """Wait until a quit is requested (signal, last window closed, `request_quit`); the reason."""
    if _quit_event is None:
        raise RuntimeError("wait_quit_requested() outside run_app()")
    await _quit_event.wait()
    return _quit_reason or "requested"


class _SignalBridge:
    """Turns SIGTERM/SIGINT into `request_quit` on the Qt thread.

    Python runs signal handlers only between bytecodes, and Qt's event loop
    sits in C; the wakeup fd makes the signal wake Qt through a socket
    notifier, so the handler runs promptly even when the app is idle.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._drain)
        self._old_fd = signal.set_wakeup_fd(self._writer.fileno())
        self._old_handlers = {sig: signal.signal(sig, self._handle) for sig in self.SIGNALS}

    def _handle(self, signum: int, frame: object) -> None:
        del frame
        request_quit(signal.Signals(signum).name)

    def _drain(self) -> None:
        with contextlib.suppress(OSError):
            self._reader.recv(4096)

    def close(self) -> None:
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(self._old_fd)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()


def run_app(
    argv: Sequence[str],
    main: AppMain,
    app_name: str,
    *,
    theme: str = "default",
) -> int:
    """Run `main(app)` on a qasync loop inside a themed QApplication; returns the exit code.

    Exit codes: whatever `main` returns (0 on a clean stop); 1 when `main`
    raised; 2 when the UI could not start (no CJK font, unknown theme).
    """
    global _quit_event, _quit_reason  # noqa: PLW0603 - one app per process
    app = QApplication.instance() or QApplication(list(argv))
    assert isinstance(app, QApplication)
    app.setApplicationName(app_name)
    # Closing the last window must go through `main`'s orderly shutdown,
    # not stop the loop under it.
    app.setQuitOnLastWindowClosed(False)
    try:
        family = install_cjk_font(app)
        apply_theme(app, theme, font_family=family)
        set_label_renderer(qt_label_renderer)
    except (FontNotFoundError, ThemeError) as exc:
        log.critical("cannot start the UI: %s", exc)
        return 2

    async def runner() -> int:
        global _quit_event, _service  # noqa: PLW0603
        _quit_event = asyncio.Event()
        _service = ServiceNotifier()
        bridge = _SignalBridge()
        app.lastWindowClosed.connect(lambda: request_quit("last window closed"))
        try:
            return await main(app)
        finally:
            bridge.close()
            _service.close()
            _service = None

    _quit_reason = None
    try:
        code = qasync.run(runner())
    except Exception:
        log.exception("%s stopped on an error", app_name)
        code = 1
    finally:
        _quit_event = None
    return int(code)
