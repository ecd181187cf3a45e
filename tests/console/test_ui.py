"""Console widgets with qtbot (offscreen): login, queue, call view, history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from backoffice_console.app import HistoryRow, QueueEntry
from backoffice_console.ui.call_view import CallView
from backoffice_console.ui.history_panel import HistoryPanel
from backoffice_console.ui.login import LoginWindow
from backoffice_console.ui.main_window import MainWindow
from backoffice_console.ui.queue_panel import QueuePanel
from shared import i18n
from shared.protocol import CallState
from shared.ui.screenshot import save_screenshot
from tests.support.qt_helpers import styled_app_fixture  # noqa: F401

NOW = datetime(2024, 5, 6, 9, 30, tzinfo=UTC)


def entry(ticket_id: int, minutes: float, matter: str | None = "低保申请") -> QueueEntry:
    return QueueEntry(
        ticket_id=ticket_id,
        point_name=["东湖社区居委会", "滨江公园党群服务站", "新华大厦便民点"][ticket_id % 3],
        kiosk_name=f"一体机{ticket_id:02d}",
        matter=matter,
        waiting_since=NOW - timedelta(minutes=minutes),
    )


def test_login_validation_and_submit(qtbot, test_output: Path) -> None:  # type: ignore[no-untyped-def]
    window = LoginWindow()
    qtbot.addWidget(window)
    window.show()
    submitted: list[tuple[str, str]] = []
    window.submitted.connect(lambda u, p: submitted.append((u, p)))

    window.button.click()
    assert submitted == []
    assert window.error_text() == "请输入用户名和密码"

    window.username.setText("wang")
    qtbot.keyClick(window.username, Qt.Key.Key_Return)
    assert submitted == []

    window.password.setText("pw")
    qtbot.keyClick(window.password, Qt.Key.Key_Return)
    assert submitted == [("wang", "pw")]
    assert window.error_text() == ""

    window.set_busy(True)
    assert not window.button.isEnabled()
    window.submit()
    assert len(submitted) == 1
    window.set_busy(False)
    window.show_error("用户名或密码错误")
    assert window.error.isVisible()
    save_screenshot(window, test_output / "console-login.png")


def test_login_in_english(qtbot) -> None:  # type: ignore[no-untyped-def]
    i18n.set_language("en")
    window = LoginWindow()
    qtbot.addWidget(window)
    assert window.button.text() == "Sign in"


def test_queue_ordering_waiting_time_and_overdue(qtbot, test_output: Path) -> None:  # type: ignore[no-untyped-def]
    now = [NOW]
    panel = QueuePanel(lambda: now[0], overdue_after_s=300)
    qtbot.addWidget(panel)
    panel.resize(1000, 420)
    panel.show()
    # Rows keep the hub's served order (routing rules), here oldest first.
    panel.set_entries([entry(2, 7.25, None), entry(3, 3), entry(1, 0.5)])
    assert [e.ticket_id for e in panel.entries()] == [2, 3, 1]
    assert [panel.waiting_text(r) for r in range(3)] == ["07:15", "03:00", "00:30"]
    assert [panel.is_overdue(r) for r in range(3)] == [True, False, False]
    assert panel.table.item(0, 2).text() == "—"
    assert not panel.take_button.isEnabled()

    now[0] = NOW + timedelta(minutes=2, seconds=5)
    panel.refresh_times()
    assert panel.waiting_text(1) == "05:05"
    assert panel.is_overdue(1)

    taken: list[int] = []
    panel.take_requested.connect(taken.append)
    panel.table.selectRow(1)
    assert panel.take_button.isEnabled()
    panel.take_button.click()
    assert taken == [3]

    # A new snapshot keeps the selection on the same ticket.
    panel.set_entries([entry(3, 3), entry(4, 1)])
    assert panel.selected_ticket_id() == 3
    panel.set_busy(True)
    assert not panel.take_button.isEnabled()
    panel.set_busy(False)
    panel.set_entries(
        [entry(1, 0.5), entry(2, 7.25, None), entry(3, 3), entry(5, 1.2, "居住证办理")]
    )
    panel.table.selectRow(0)
    save_screenshot(panel, test_output / "console-queue.png")


def test_queue_without_selection_shows_hint(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = QueuePanel(lambda: NOW)
    qtbot.addWidget(panel)
    panel.set_entries([entry(1, 1)])
    panel.request_take()
    assert panel.message.text() == "请先选择一位排队的居民"


def test_call_view_states(qtbot, test_output: Path) -> None:  # type: ignore[no-untyped-def]
    view = CallView()
    qtbot.addWidget(view)
    view.resize(1100, 620)
    view.show()
    frame = np.zeros((240, 320, 3), dtype=np.uint8)
    frame[:, :, 1] = 120
    frame[60:180, 80:240] = (230, 200, 40)
    view.set_sources(lambda: frame, lambda: np.full((120, 160, 3), 90, dtype=np.uint8))
    view.start_call("东湖社区居委会 一体机01")
    assert view.status_text() == "连接中"
    assert "00:00" in view.duration.text()
    view.set_state(CallState.CONNECTED)
    assert view.status_text() == "通话中"
    qtbot.waitUntil(lambda: view.remote.frames_painted > 0, timeout=3000)
    save_screenshot(view, test_output / "console-call-view.png")
    view.set_state(CallState.RECONNECTING)
    assert view.status_text() == "正在重新连接"
    assert view.remote.overlay_text() == "正在重新连接…"
    save_screenshot(view, test_output / "console-call-reconnecting.png")
    view.set_state(CallState.CONNECTED)
    assert view.remote.overlay_text() is None

    hangups: list[bool] = []
    view.hangup_requested.connect(lambda: hangups.append(True))
    view.hangup_button.click()
    assert hangups == [True]
    assert not view.hangup_button.isEnabled()
    view.end_call()
    view.hangup_button.click()
    assert hangups == [True]


def test_history_and_main_window(qtbot, test_output: Path) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(lambda: NOW)
    qtbot.addWidget(window)
    window.set_officer("王警官")
    window.show()
    rows = [
        HistoryRow("b", "东湖社区居委会", "一体机01", "低保申请", NOW - timedelta(minutes=20),
                   NOW - timedelta(minutes=20), NOW - timedelta(minutes=12), "hangup", "kiosk", 1),
        HistoryRow("a", "滨江公园党群服务站", "一体机02", None, NOW - timedelta(hours=1),
                   None, NOW - timedelta(minutes=58), "peer_gone", "kiosk", 0),
    ]  # fmt: skip
    window.history.set_rows(rows)
    assert window.history.row_count() == 2
    assert window.history.table.item(0, 3).text() == "08:00"
    assert window.history.table.item(0, 4).text() == "正常挂断（居民端）"
    assert window.history.table.item(1, 4).text() == "对方离线（居民端）"
    assert window.history.count.text() == "今日共 2 次受理"
    window.tabs.setCurrentWidget(window.history)
    save_screenshot(window, test_output / "console-history-tab.png")

    window.tabs.setCurrentIndex(0)
    window.queue.set_entries([entry(1, 0.5), entry(2, 6)])
    window.set_connected(False)
    assert window.connection.text() == "与服务中心断开，正在重连…"
    save_screenshot(window, test_output / "console-main.png")
    window.show_call()
    assert window.in_call_view()
    window.show_queue()
    assert not window.in_call_view()


def test_history_panel_open_session() -> None:
    panel = HistoryPanel()
    panel.set_rows([HistoryRow("x", "P", "K", None, NOW, None, None, None, None, 0)])
    assert panel.table.item(0, 4).text() == "进行中"
    assert panel.loads == 1
    panel.deleteLater()
