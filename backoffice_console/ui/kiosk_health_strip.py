"""A small strip in the call view: the kiosk's device state (读卡器 正常 · 打印机 故障 ...).

Fed by `backoffice_console.kiosk_health`; `follow(hub, session_id, spawn)` at the start
of a call polls every `interval` seconds until `stop()` at its end. Each part is a
coloured chip whose tooltip is the technician's message.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from backoffice_console.kiosk_health import HubReader, KioskHealthView, fetch_kiosk_health
from shared.i18n import tr
from shared.protocol.health import CheckStatus

Spawn = Callable[[Coroutine[Any, Any, None], str], None]
CHIP_COLOURS = {
    CheckStatus.OK: ("#e6f4ea", "#1b7f3b"),
    CheckStatus.WARNING: ("#fff4e5", "#8a5a00"),
    CheckStatus.FAILED: ("#fdecea", "#c92a2a"),
    CheckStatus.ABSENT: ("#f1f3f5", "#6c757d"),
}


class KioskHealthStrip(QWidget):
    """The kiosk's device chips (see module docstring)."""

    def __init__(self, interval_ms: int = 15_000, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kioskHealthStrip")
        self.title = QLabel(tr("health", "strip.title"))
        self.title.setProperty("role", "muted")
        self.note = QLabel(tr("health", "strip.none"))
        self.note.setProperty("role", "muted")
        self.note.setWordWrap(True)
        # Two chips a row: the call view's side column is narrow.
        self.chips_grid = QGridLayout()
        self.chips_grid.setSpacing(4)
        self.chips: list[QLabel] = []
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addWidget(self.title)
        column.addLayout(self.chips_grid)
        column.addWidget(self.note)
        self.view = KioskHealthView()
        self._hub: HubReader | None = None
        self._session_id: str | None = None
        self._spawn: Spawn | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._poll)

    def follow(self, hub: HubReader | None, session_id: str, spawn: Spawn) -> None:
        """Show the device state of this session's kiosk, refreshed until `stop()`."""
        self._hub, self._session_id, self._spawn = hub, session_id, spawn
        self.show_view(KioskHealthView())
        self._poll()
        self._timer.start()

    def stop(self) -> None:
        """The call ended: stop polling and clear the chips."""
        self._timer.stop()
        self._hub = self._session_id = None
        self.show_view(KioskHealthView())

    def _poll(self) -> None:
        if self._spawn is not None and self._hub is not None and self._session_id is not None:
            self._spawn(self.refresh(), "kiosk-health")

    async def refresh(self) -> None:
        """Fetch the latest report of the followed session's kiosk and show it."""
        hub, session_id = self._hub, self._session_id
        if hub is None or session_id is None:
            return
        view = await fetch_kiosk_health(hub, session_id)
        if session_id == self._session_id:  # not a late answer about an ended call
            self.show_view(view)

    def show_view(self, view: KioskHealthView) -> None:
        """Rebuild the chips from `view`."""
        self.view = view
        for chip in self.chips:
            self.chips_grid.removeWidget(chip)
            chip.deleteLater()
        self.chips = []
        for index, check in enumerate(view.checks):
            background, colour = CHIP_COLOURS[check.status]
            chip = QLabel(
                f"{tr('health', f'part.{check.part}')} {tr('health', f'status.{check.status}')}"
            )
            chip.setObjectName(f"chip_{check.part.replace('.', '_')}")
            chip.setToolTip(check.message)
            chip.setWordWrap(False)
            chip.setStyleSheet(
                f"QLabel {{ background: {background}; color: {colour}; border-radius: 6px;"
                " padding: 2px 6px; font-size: 13px; }"
            )
            self.chips_grid.addWidget(chip, index // 2, index % 2)
            self.chips.append(chip)
        failed = [c for c in view.checks if c.status is CheckStatus.FAILED]
        if view.error is not None:
            self.note.setText(tr("health", "strip.unreachable"))
        elif not view.checks:
            self.note.setText(tr("health", "strip.none"))
        else:
            # The first failure in words: the officer can tell the resident at once.
            self.note.setText(failed[0].message if failed else "")
        self.note.setVisible(bool(self.note.text()))
