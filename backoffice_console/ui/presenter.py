"""Glue between the Qt widgets and the Qt-free `ConsoleController`.

Widgets emit signals; the presenter turns them into controller coroutines run
as tasks on the qasync loop, and as the controller's observer it puts what
happened back on screen. Nothing here decides anything the controller decides.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any

from backoffice_console.app import (
    CallInfo,
    ConsoleController,
    ConsoleError,
    ConsoleObserver,
    QueueEntry,
)
from backoffice_console.ui.login import LoginWindow
from backoffice_console.ui.main_window import MainWindow
from shared.i18n import tr
from shared.tasks import TaskKeeper
from shared.ui.video_view import FrameGetter

log = logging.getLogger(__name__)


class ConsolePresenter(ConsoleObserver):
    """Owns the login and main windows and wires them to `controller`."""

    def __init__(
        self,
        controller: ConsoleController,
        local_preview: FrameGetter | None = None,
        overdue_after_s: int = 300,
    ) -> None:
        self.controller = controller
        controller.observer = self
        self.login = LoginWindow()
        self.main = MainWindow(controller.hub_now, overdue_after_s)
        self.main.call.set_sources(controller.remote_frame_getter(), local_preview)
        self._tasks = TaskKeeper("console-ui")
        self.last_notice: str | None = None

        self.login.submitted.connect(self._on_login)
        self.main.queue.take_requested.connect(self._on_take)
        self.main.call.hangup_requested.connect(self._on_hangup)
        self.main.history.refresh_requested.connect(self._on_refresh_history)
        self.main.tabs.currentChanged.connect(self._on_tab)

    def _run(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.start(coro, name)

    def show(self) -> None:
        """Start at the login window."""
        self.login.show()

    # --- widget signals -> controller ----------------------------------------

    def _on_login(self, username: str, password: str) -> None:
        self.login.set_busy(True)
        self._run(self._login(username, password), "login")

    async def _login(self, username: str, password: str) -> None:
        try:
            await self.controller.login(username, password)
        except ConsoleError as exc:
            self.login.set_busy(False)
            self.login.show_error(tr("console", exc.key))
            return
        self.login.set_busy(False)
        self.login.password.clear()
        self.main.set_officer(self.controller.display_name)
        self.main.set_connected(True)
        self.main.show()
        self.login.hide()
        self._run(self._load_history(), "history")

    def _on_take(self, ticket_id: int) -> None:
        self.main.queue.set_busy(True)
        self._run(self._take(ticket_id), "take")

    async def _take(self, ticket_id: int) -> None:
        try:
            await self.controller.take(ticket_id)
        except ConsoleError as exc:
            self.main.queue.show_message(tr("console", exc.key))
        finally:
            self.main.queue.set_busy(False)

    def _on_hangup(self) -> None:
        self._run(self.controller.hang_up(), "hangup")

    def _on_refresh_history(self) -> None:
        self._run(self._load_history(), "history")

    def _on_tab(self, index: int) -> None:
        if self.main.tabs.widget(index) is self.main.history and self.controller.hub is not None:
            self._run(self._load_history(), "history")

    async def _load_history(self) -> None:
        try:
            rows = await self.controller.load_history()
        except ConsoleError as exc:
            self.main.history.show_error(tr("console", exc.key))
            return
        self.main.history.set_rows(rows)

    # --- controller -> widgets (ConsoleObserver) -------------------------------

    def connection_changed(self, connected: bool) -> None:
        """Status bar shows whether the hub is reachable."""
        self.main.set_connected(connected)

    def queue_changed(self, entries: list[QueueEntry]) -> None:
        """Refill the queue table."""
        self.main.queue.set_entries(entries)

    def call_started(self, call: CallInfo) -> None:
        """Show the call view."""
        self.main.queue.show_message("")
        self.main.call.start_call(call.peer_name, call.started_monotonic)
        self.main.show_call()

    def call_state_changed(self, call: CallInfo) -> None:
        """连接中 / 通话中 / 正在重新连接."""
        self.main.call.set_state(call.state)

    def call_ended(self, session_id: str, reason: str, by: str | None) -> None:
        """Back to the queue; the history gains a row."""
        self.main.call.end_call()
        self.main.show_queue()
        self.main.queue.show_message(tr("console", "notice.call_ended"))
        self._run(self._load_history(), "history")

    def notice(self, key: str) -> None:
        """Show a controller notice under the queue."""
        self.last_notice = key
        self.main.queue.show_message(tr("console", key))

    # --- shutdown ---------------------------------------------------------------

    async def close(self) -> None:
        """Stop UI tasks and close the windows (the controller is closed by its owner)."""
        await self._tasks.cancel_all()
        for window in (self.login, self.main):
            window.close()
