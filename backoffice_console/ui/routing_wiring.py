"""Wires routing into the console: 接下一位 on the queue, 转接 in the call view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QPushButton

from backoffice_console.model import ConsoleError
from backoffice_console.routing import RoutingDesk
from backoffice_console.ui.transfer_dialog import TransferDialog
from shared.i18n import tr

if TYPE_CHECKING:
    from backoffice_console.ui.presenter import ConsolePresenter


class RoutingUi:
    """The routing buttons and dialog of one presenter."""

    def __init__(self, presenter: ConsolePresenter) -> None:
        self._p = presenter
        self.desk = RoutingDesk(presenter.controller)
        self.dialog: TransferDialog | None = None
        queue = presenter.main.queue
        queue.next_requested.connect(self._on_next)
        call = presenter.main.call
        self.transfer_button = QPushButton(tr("routing", "call.transfer"))
        self.transfer_button.setObjectName("transferButton")
        self.transfer_button.setMinimumHeight(56)
        self.transfer_button.clicked.connect(self._on_transfer)
        # Beside 挂断 in the call view's control bar.
        call.add_call_action(self.transfer_button)

    def _on_next(self) -> None:
        self._p.main.queue.set_busy(True)
        self._p._run(self._next(), "take-next")

    async def _next(self) -> None:
        try:
            await self.desk.take_next()
        except ConsoleError as exc:
            key = "notice.none_waiting" if exc.key == "error.not_found" else exc.key
            self._p.main.queue.show_message(tr("routing", key))
        finally:
            self._p.main.queue.set_busy(False)

    def _on_transfer(self) -> None:
        self.transfer_button.setEnabled(False)
        self._p._run(self._open_dialog(), "transfer-targets")

    async def _open_dialog(self) -> None:
        try:
            targets = await self.desk.targets()
        except ConsoleError as exc:
            self._p.main.queue.show_message(tr("routing", exc.key))
            return
        finally:
            self.transfer_button.setEnabled(True)
        dialog = TransferDialog(targets, self._p.main)
        dialog.accepted.connect(lambda: self._p._run(self._transfer(dialog), "transfer"))
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
        self._p.main.queue.show_message(tr("routing", "notice.transferred"))


def install_routing(presenter: ConsolePresenter) -> RoutingUi:
    """Add routing's buttons to the presenter's windows."""
    return RoutingUi(presenter)
