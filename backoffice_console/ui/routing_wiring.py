"""Wires routing into the console: 接下一位 on the queue, 转接 in the call view.

`install_routing` gets the main window, the controller and a runner for the buttons'
requests (the presenter passes its own); nothing here knows the presenter.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtWidgets import QPushButton, QWidget

from backoffice_console.app import ConsoleController
from backoffice_console.model import ConsoleError
from backoffice_console.routing import RoutingDesk
from backoffice_console.ui.call_view import CallView
from backoffice_console.ui.main_window import MainWindow
from backoffice_console.ui.queue_panel import QueuePanel
from backoffice_console.ui.transfer_dialog import TransferDialog
from shared.i18n import tr

Spawn = Callable[[Coroutine[Any, Any, None], str], None]
"""Runs a request started by a widget as a named task (the presenter's runner)."""


class RoutingUi:
    """The routing buttons and dialog: 接下一位 on `queue`, 转接 in `call`.

    The transfer dialog opens over `dialog_parent` (the main window).
    """

    def __init__(
        self,
        desk: RoutingDesk,
        queue: QueuePanel,
        call: CallView,
        spawn: Spawn,
        dialog_parent: QWidget | None = None,
    ) -> None:
        self.desk = desk
        self._queue = queue
        self._spawn = spawn
        self._dialog_parent = dialog_parent
        self.dialog: TransferDialog | None = None
        queue.next_requested.connect(self._on_next)
        self.transfer_button = QPushButton(tr("routing", "call.transfer"))
        self.transfer_button.setObjectName("transferButton")
        self.transfer_button.setMinimumHeight(56)
        self.transfer_button.clicked.connect(self._on_transfer)
        # Beside 挂断 in the call view's control bar.
        call.add_call_action(self.transfer_button)

    def _on_next(self) -> None:
        self._queue.set_busy(True)
        self._spawn(self._next(), "take-next")

    async def _next(self) -> None:
        try:
            await self.desk.take_next()
        except ConsoleError as exc:
            key = "notice.none_waiting" if exc.key == "error.not_found" else exc.key
            self._queue.show_message(tr("routing", key))
        finally:
            self._queue.set_busy(False)

    def _on_transfer(self) -> None:
        self.transfer_button.setEnabled(False)
        self._spawn(self._open_dialog(), "transfer-targets")

    async def _open_dialog(self) -> None:
        try:
            targets = await self.desk.targets()
        except ConsoleError as exc:
            self._queue.show_message(tr("routing", exc.key))
            return
        finally:
            self.transfer_button.setEnabled(True)
        dialog = TransferDialog(targets, self._dialog_parent)
        dialog.accepted.connect(lambda: self._spawn(self._transfer(dialog), "transfer"))
        self.dialog = dialog
        dialog.open()

    async def _transfer(self, dialog: TransferDialog) -> None:
        choice = dialog.choice()
        if choice is None:
            return
        kind, value = choice
        try:
            if kind == "officer":
                await self.desk.transfer(to_officer_id=int(value), note=dialog.note())
            else:
                await self.desk.transfer(to_line=str(value), note=dialog.note())
        except ConsoleError as exc:
            # Nothing changed: reopen with the reason so the officer can pick again.
            dialog.show_error(tr("routing", exc.key))
            dialog.open()
            return
        self._queue.show_message(tr("routing", "notice.transferred"))


def install_routing(main: MainWindow, controller: ConsoleController, spawn: Spawn) -> RoutingUi:
    """Add routing's buttons to the main window's queue and call view."""
    return RoutingUi(RoutingDesk(controller), main.queue, main.call, spawn, main)
