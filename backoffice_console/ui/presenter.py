"""Glue between the Qt widgets and the Qt-free `ConsoleController`.

Widgets emit signals; the presenter turns them into controller coroutines run
as tasks on the qasync loop, and as the controller's observer it puts what
happened back on screen. Nothing here decides anything the controller decides.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog

from backoffice_console.app import (
    CallInfo,
    ConsoleController,
    ConsoleError,
    ConsoleObserver,
    QueueEntry,
)
from backoffice_console.cases import CaseView
from backoffice_console.documents import DocumentsView, PreviewError, render_first_page
from backoffice_console.evaluation import ratings_of_day
from backoffice_console.identity import IdentityView
from backoffice_console.materials import MaterialsView
from backoffice_console.ui.callbacks_tab import CallbacksTab, install_callbacks_tab
from backoffice_console.ui.case_wiring import install_cases
from backoffice_console.ui.catalogue_tab import CatalogueTab, install_catalogue_tab
from backoffice_console.ui.documents_panel import DocumentViewer
from backoffice_console.ui.evaluation_tabs import EvaluationTabs, install_evaluation_tabs
from backoffice_console.ui.fleet_tab import FleetTab, install_fleet_tab
from backoffice_console.ui.login import LoginWindow
from backoffice_console.ui.main_window import MainWindow
from backoffice_console.ui.materials_panel import PageViewer
from backoffice_console.ui.reports_tab import ReportsTab, install_reports_tab
from backoffice_console.ui.routing_wiring import install_routing
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
        self.main.call.set_doccam_source(controller.doccam_frame_getter())
        self._tasks = TaskKeeper("console-ui")
        self.last_notice: str | None = None
        self.fleet: FleetTab | None = None
        self.callbacks: CallbacksTab | None = None  # 回电请求 (issue 6), added at login
        self.reports: ReportsTab | None = None  # 报表 (issue 6), added at login
        self.catalogue: CatalogueTab | None = None  # 事项目录 (issue 6), admins, at login
        self.evaluation: EvaluationTabs | None = None  # 整改 and 原件流转 (issue 6), at login
        """The 设备运维 tab, added at login for admins and technicians."""

        self.login.submitted.connect(self._on_login)
        self.main.queue.take_requested.connect(self._on_take)
        self.main.call.hangup_requested.connect(self._on_hangup)
        self.main.call.identity.read_requested.connect(self._on_read_id)
        self.main.call.identity.reveal_requested.connect(self._on_reveal)
        materials = self.main.call.materials
        materials.capture_requested.connect(self._on_capture)
        materials.open_requested.connect(self._on_open_page)
        materials.reject_requested.connect(self._on_reject_page)
        materials.export_requested.connect(self._on_export)
        self.viewers: list[PageViewer] = []
        documents = self.main.call.documents
        documents.print_requested.connect(self._on_print)
        documents.sign_requested.connect(self._on_sign)
        documents.open_requested.connect(self._on_open_signed)
        self.document_viewers: list[DocumentViewer] = []
        self.main.history.refresh_requested.connect(self._on_refresh_history)
        self.main.tabs.currentChanged.connect(self._on_tab)
        self.routing = install_routing(self.main, controller, self._run)  # 接下一位 and 转接
        self.cases = install_cases(self.main.call, controller, self._run)  # beside the video

    def _run(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.start(coro, name)

    def show(self) -> None:
        """Start at the login window."""
        self.login.show()

    # --- widget signals -> controller ----------------------------------------

    def _on_login(self, username: str, password: str) -> None:
        self.login.set_busy(True)
        self._run(self._login(username, password, self.login.code()), "login")

    async def _login(self, username: str, password: str, code: str | None = None) -> None:
        try:
            await self.controller.login(username, password, totp_code=code)
        except ConsoleError as exc:
            self.login.set_busy(False)
            self.login.show_error(tr("console", exc.key))
            if exc.key == "login.error.totp_required":
                self.login.ask_code()
            return
        self.login.set_busy(False)
        self.login.password.clear()
        self.main.set_officer(self.controller.display_name)
        self.main.set_connected(True)
        self.main.show()
        self.login.hide()
        if self.fleet is None:
            role = self.controller.user.get("role")
            self.fleet = install_fleet_tab(self.main.tabs, role, lambda: self.controller.hub)
            self.callbacks = install_callbacks_tab(
                self.main.tabs, role, lambda: self.controller.hub
            )
        if self.reports is None:
            self.reports = install_reports_tab(
                self.main.tabs, self.controller.user.get("role"), lambda: self.controller.hub
            )
            self.catalogue = install_catalogue_tab(
                self.main.tabs, self.controller.user.get("role"), lambda: self.controller.hub
            )
        if self.evaluation is None:
            self.evaluation = install_evaluation_tabs(
                self.main.tabs, self.controller.user.get("role"), lambda: self.controller.hub
            )
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

    def _on_read_id(self) -> None:
        self._run(self._identity_action(self.controller.identity.read), "idcard.read")

    def _on_reveal(self) -> None:
        self._run(self._identity_action(self.controller.identity.reveal), "identity.reveal")

    async def _identity_action(self, action: Callable[[], Awaitable[object]]) -> None:
        try:
            await action()
        except ConsoleError as exc:
            self.main.call.identity.show_error(tr("console", exc.key))

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
        if self.controller.hub is not None:  # 好差评 of those sessions (issue 6)
            self.main.history.set_ratings(await ratings_of_day(self.controller.hub))

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
        self.main.call.kiosk_health.follow(self.controller.hub, call.session_id, self._run)
        self.main.show_call()

    def call_state_changed(self, call: CallInfo) -> None:
        """连接中 / 通话中 / 正在重新连接."""
        self.main.call.set_state(call.state)

    def call_ended(self, session_id: str, reason: str, by: str | None) -> None:
        """Back to the queue; the history gains a row."""
        self.main.call.end_call()
        self.main.call.kiosk_health.stop()
        self.main.show_queue()
        self.main.queue.show_message(tr("console", "notice.call_ended"))
        self._run(self._load_history(), "history")

    def identity_changed(self, view: IdentityView) -> None:
        """The identity panel follows the controller's identity desk."""
        self.main.call.identity.show_view(view)

    def materials_changed(self, view: MaterialsView) -> None:
        """The materials panel follows the controller's materials desk."""
        self.main.call.materials.show_view(view)

    def _on_capture(self) -> None:
        self._run(self._materials_action(self.controller.materials.request_page()), "page")

    def _on_reject_page(self, material_id: int, reason: str) -> None:
        action = self.controller.materials.reject(material_id, reason)
        self._run(self._materials_action(action), "page.reject")

    def _on_open_page(self, material_id: int) -> None:
        self._run(self._open_page(material_id), "page.open")

    def _on_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.main, tr("console", "materials.export_dialog"), "materials.pdf", "PDF (*.pdf)"
        )
        if path:
            self._run(self._export(Path(path)), "page.export")

    async def _export(self, path: Path) -> None:
        await self.export_materials(path)

    async def export_materials(self, path: Path) -> bool:
        """Save the call's pages as one PDF at `path` (the autopilot and tests call this
        directly; the button asks for the path first); the panel reports the outcome."""
        status = self.main.call.materials.status
        try:
            await self.controller.materials.export_pdf(path)
        except ConsoleError as exc:
            status.setText(tr("console", exc.key))
            return False
        status.setText(tr("console", "materials.exported").format(path=path.name))
        return True

    async def _materials_action(self, action: Awaitable[object]) -> None:
        try:
            await action
        except ConsoleError as exc:
            self.main.call.materials.status.setText(tr("console", exc.key))

    async def _open_page(self, material_id: int) -> None:
        try:
            jpeg = await self.controller.materials.full_image(material_id)
        except ConsoleError as exc:
            self.main.call.materials.status.setText(tr("console", exc.key))
            return
        viewer = PageViewer(jpeg)
        self.viewers = [v for v in self.viewers if v.isVisible()] + [viewer]
        viewer.show()

    def documents_changed(self, view: DocumentsView) -> None:
        """The documents panel follows the controller's documents desk."""
        self.main.call.documents.show_view(view)

    def case_changed(self, view: CaseView) -> None:
        """The case panel follows the controller's case desk."""
        self.cases.show(view)

    def _on_print(self, kind: str) -> None:
        desk = self.controller.documents
        action = desk.print_document("slip" if kind == "slip" else "receipt")
        self._run(self._documents_action(action), f"print.{kind}")

    def _on_sign(self) -> None:
        action = self.controller.documents.request_signature()
        self._run(self._documents_action(action), "form.sign")

    def _on_open_signed(self, document_id: str) -> None:
        self._run(self._open_signed(document_id), "document.open")

    async def _documents_action(self, action: Awaitable[object]) -> None:
        try:
            await action
        except ConsoleError as exc:
            self.main.call.documents.show_error(tr("console", exc.key))

    async def _open_signed(self, document_id: str) -> None:
        panel = self.main.call.documents
        try:
            pdf = await self.controller.documents.signed_pdf(document_id)
            png = await asyncio.to_thread(render_first_page, pdf, 110)
        except ConsoleError as exc:
            panel.show_error(tr("console", exc.key))
            return
        except PreviewError:
            panel.show_error(tr("console", "documents.failed.preview_failed"))
            return
        viewer = DocumentViewer(png, tr("console", "documents.viewer"))
        self.document_viewers = [v for v in self.document_viewers if v.isVisible()] + [viewer]
        viewer.show()

    def notice(self, key: str) -> None:
        """Show a controller notice under the queue."""
        self.last_notice = key
        self.main.queue.show_message(tr("console", key))

    # --- shutdown ---------------------------------------------------------------

    async def close(self) -> None:
        """Stop UI tasks and close the windows (the controller is closed by its owner)."""
        await self._tasks.cancel_all()
        if self.callbacks is not None:
            await self.callbacks.close()
        if self.reports is not None:
            await self.reports.close()
        if self.catalogue is not None:
            await self.catalogue.close()
        for window in (self.login, self.main, *self.document_viewers):
            window.close()
