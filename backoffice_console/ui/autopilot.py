"""The console's autopilot: the demo tour and the end-to-end tests' officer.

It drives the real widgets the way an officer would - types into the login
form and clicks its button, selects the first queue row and clicks 接听, clicks
挂断 - and only reads the controller to fill in the report. It never calls the
controller behind the UI's back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backoffice_console.app import Phase
from backoffice_console.identity import ReadState
from backoffice_console.ui.autopilot_case import close_case
from backoffice_console.ui.autopilot_documents import print_and_sign
from backoffice_console.ui.autopilot_office import office_tabs
from backoffice_console.ui.autopilot_pages import capture_pages
from backoffice_console.ui.presenter import ConsolePresenter
from shared.i18n import tr
from shared.protocol import CallState
from shared.ui.screenshot import save_screenshot

log = logging.getLogger(__name__)

POLL_S = 0.05
HOLD_BEFORE_SCREENSHOT_S = 2.0
LOGIN_RETRY_S = 1.0
IDENTITY_WAIT_S = 25.0


class AutopilotError(Exception):
    """The tour cannot go on (e.g. the hub refused the credentials)."""


@dataclass
class AutopilotOptions:
    """What the command line asked the autopilot to do."""

    username: str
    password: str
    screenshots: Path | None = None
    timeout: float = 120.0
    max_calls: int = 1
    hangup_after: float | None = None
    read_id: bool = True
    pages: int = 2
    """Pages to ask the kiosk for (拍摄材料) in the first call, after the card."""


class Autopilot:
    """Runs the tour once (`run`) and keeps what the report needs (`report`)."""

    def __init__(self, presenter: ConsolePresenter, options: AutopilotOptions) -> None:
        self.presenter = presenter
        self.options = options
        self.error: str | None = None
        self.first_remote_frame_at: float | None = None
        self.frames_received = 0
        self.history_rows: int | None = None
        self.pages_shown = 0
        self.calls = 0

    async def run(self) -> int:
        """The whole tour within the timeout; 0 on success, 3 on timeout or failure."""
        try:
            await asyncio.wait_for(self._tour(), self.options.timeout)
        except TimeoutError:
            self.error = f"timeout after {self.options.timeout:g} s"
        except AutopilotError as exc:
            self.error = str(exc)
        except Exception as exc:
            log.exception("autopilot failed")
            self.error = f"autopilot failed: {exc}"
        if self.error is not None:
            log.error("autopilot: %s", self.error)
            return 3
        log.info("autopilot finished after %d call(s)", self.calls)
        return 0

    async def _tour(self) -> None:
        await self._login()
        while self.calls < self.options.max_calls:
            await self._one_call()
        await self._history()
        # 报表 and 设备运维 as far as the role has them (issues 6, 7).
        await office_tabs(self.presenter, self._screenshot if self.options.screenshots else None)

    # --- steps -----------------------------------------------------------------

    async def _login(self) -> None:
        login = self.presenter.login
        controller = self.presenter.controller
        unreachable = tr("console", "login.error.unreachable")
        while True:
            login.username.setText(self.options.username)
            login.password.setText(self.options.password)
            login.button.click()
            await _wait_until(
                lambda: (
                    controller.phase is not Phase.LOGGED_OUT
                    or (login.button.isEnabled() and bool(login.error_text()))
                )
            )
            if controller.phase is not Phase.LOGGED_OUT:
                log.info("autopilot: logged in")
                return
            if login.error_text() != unreachable:
                raise AutopilotError(f"login failed: {login.error_text()}")
            # The hub may still be starting: try again shortly.
            await asyncio.sleep(LOGIN_RETRY_S)

    async def _one_call(self) -> None:
        main = self.presenter.main
        controller = self.presenter.controller
        queue = main.queue
        while True:
            await _wait_until(
                lambda: (
                    controller.phase is Phase.QUEUE
                    and queue.table.rowCount() > 0
                    and not main.in_call_view()
                )
            )
            queue.table.selectRow(0)
            queue.take_button.click()
            await _wait_until(
                lambda: (
                    main.in_call_view()
                    or (
                        controller.phase is Phase.QUEUE
                        and queue.take_button.text() == tr("console", "queue.take")
                    )
                )
            )
            if main.in_call_view():
                break
            log.info(
                "autopilot: could not take the ticket (%s); trying again", queue.message.text()
            )
            await asyncio.sleep(0.3)
        log.info("autopilot: in call %s", controller.stats.session_id)

        call = main.call
        painted_before = call.remote.frames_painted
        await _wait_until(
            lambda: (
                not main.in_call_view()
                or (
                    call.state is CallState.CONNECTED
                    and call.remote.frames_painted > painted_before
                )
            )
        )
        if main.in_call_view():
            if self.first_remote_frame_at is None:
                self.first_remote_frame_at = time.time()
            connected_at = time.monotonic()
            await _sleep_while(main.in_call_view, HOLD_BEFORE_SCREENSHOT_S)
            if main.in_call_view() and self.options.screenshots is not None and self.calls == 0:
                self._screenshot("console-call.png")
            if main.in_call_view() and self.options.read_id and self.calls == 0:
                await self._read_identity()
                shoot = self._screenshot if self.options.screenshots is not None else None
                shots = self.options.screenshots
                export = None if shots is None else shots / "materials.pdf"
                # Pages first, as at a counter: the receipt then lists what was received.
                self.pages_shown = await capture_pages(
                    self.presenter, self.options.pages, shoot, export
                )
                await print_and_sign(self.presenter, shoot)
                await close_case(self.presenter, shoot)  # outcome 当场办结 (issue 6)
            if self.options.hangup_after is not None:
                remaining = self.options.hangup_after - (time.monotonic() - connected_at)
                await _sleep_while(main.in_call_view, max(0.0, remaining))
                if main.in_call_view():
                    log.info("autopilot: hanging up")
                    call.hangup_button.click()
        await _wait_until(lambda: not main.in_call_view())
        self.calls += 1
        self.frames_received += controller.stats.frames_received
        log.info("autopilot: call %d ended (%s)", self.calls, controller.stats.ended_reason)

    async def _read_identity(self) -> None:
        """Click 读取身份证 and wait for the panel to fill (or to show why it could not)."""
        main = self.presenter.main
        panel = main.call.identity
        log.info("autopilot: asking for the ID card")
        panel.read_button.click()
        try:
            await asyncio.wait_for(
                _wait_until(
                    lambda: (
                        not main.in_call_view()
                        or panel.view.state in (ReadState.SHOWN, ReadState.FAILED)
                    )
                ),
                IDENTITY_WAIT_S,
            )
        except TimeoutError:
            log.error("autopilot: no identity within %g s", IDENTITY_WAIT_S)
            return
        if panel.view.state is ReadState.FAILED:
            log.error("autopilot: the ID card read failed (%s)", panel.view.error_code)
        if main.in_call_view() and self.options.screenshots is not None:
            main.call.show_panel(panel)  # its tab to the front
            await asyncio.sleep(0.3)  # let the panel paint
            self._screenshot("console-identity.png")

    async def _history(self) -> None:
        main = self.presenter.main
        main.tabs.setCurrentWidget(main.history)
        loads = main.history.loads
        main.history.refresh_button.click()
        await _wait_until(lambda: main.history.loads > loads)
        await asyncio.sleep(0.3)  # let the table paint
        self.history_rows = main.history.row_count()
        if self.options.screenshots is not None:
            self._screenshot("console-history.png")

    def _screenshot(self, name: str) -> None:
        assert self.options.screenshots is not None
        try:
            save_screenshot(self.presenter.main, self.options.screenshots / name)
        except OSError as exc:
            log.error("screenshot %s failed: %s", name, exc)

    # --- report ----------------------------------------------------------------

    def report(self, frames_painted: int) -> dict[str, Any]:
        """The report JSON (see the console brief); times are time.time() floats or None."""
        stats = self.presenter.controller.stats
        return stats.report(
            first_remote_frame_at=self.first_remote_frame_at,
            frames_received=max(self.frames_received, stats.frames_received),
            frames_painted=frames_painted,
            history_rows=self.history_rows,
            calls_completed=self.calls,
            receipt_printed=self.presenter.controller.documents.printed.get("receipt", 0) > 0,
            form_signed=self.presenter.controller.documents.signed > 0,
            pages_shown=self.pages_shown,
            doccam_frames_received=stats.extra.get("doccam_frames_received", 0),
            case=stats.extra.get("case"),
            report=stats.extra.get("report"),
            fleet=stats.extra.get("fleet"),
            error=self.error,
        )


async def _wait_until(predicate: Callable[[], bool]) -> None:
    # Polling on purpose: the autopilot watches widgets as a person would.
    while not predicate():  # noqa: ASYNC110
        await asyncio.sleep(POLL_S)


async def _sleep_while(predicate: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while predicate() and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(POLL_S)
