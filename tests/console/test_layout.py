"""The console's main window with a call and every panel filled fits 1600x900 and 1920x1080:
nothing clipped, tabs badge news; screenshots of each tab at both sizes in var/test-output/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QWidget,
)
from pytestqt.qtbot import QtBot

from backoffice_console.cases import CaseView, ChecklistItem, TimelineEntry
from backoffice_console.documents import DocumentItem, DocumentsView
from backoffice_console.identity import IdentityView, ReadState
from backoffice_console.kiosk_health import KioskHealthView
from backoffice_console.materials import MaterialsView, PageItem
from backoffice_console.ui.main_window import MainWindow
from shared import i18n
from shared.protocol import CallState, IdentityUpdate
from shared.protocol.health import CheckResult, CheckStatus
from shared.ui.fonts import install_cjk_font
from shared.ui.screenshot import save_screenshot
from shared.ui.theme import apply_theme

NOW = datetime(2026, 11, 22, 9, 40, tzinfo=UTC)
SCREENS = ((1600, 900), (1920, 1080))
# What the desktop (title bar, task bar) leaves of a screen's height for the window.
DESKTOP_CHROME_PX = 60


@pytest.fixture
def desktop(qapp: QApplication) -> Iterator[QApplication]:
    old = qapp.styleSheet()
    apply_theme(qapp, "desktop", font_family=install_cjk_font(qapp))
    i18n.set_language("zh_CN")
    yield qapp
    qapp.setStyleSheet(old)
    i18n.set_language("zh_CN")


def thumbnail(n: int) -> bytes:
    image = np.full((150, 110, 3), 235, np.uint8)
    cv2.putText(image, str(n), (30, 95), cv2.FONT_HERSHEY_SIMPLEX, 2.4, (60, 60, 60), 4)
    ok, jpeg = cv2.imencode(".jpg", image)
    assert ok
    return jpeg.tobytes()


def pages(count: int) -> MaterialsView:
    return MaterialsView(
        pages=tuple(PageItem(10 + n, n, 1654, 2339, thumbnail(n)) for n in range(1, count + 1))
    )


def identity() -> IdentityView:
    update = IdentityUpdate(
        session_id="s", command_id="c", identity_id=1, source="id_card", card_type="resident",
        name="欧阳测试居民", masked_id="110101********1234", gender="女", age=70,
        valid_to=dt.date(2036, 5, 1), has_photo=True,
    )  # fmt: skip
    return IdentityView(state=ReadState.SHOWN, identity=update)


def case() -> CaseView:
    items = (
        ChecklistItem(code="id", name="居民身份证", pages=["11"]),
        ChecklistItem(code="hkb", name="户口簿", pages=["12", "13"]),
        ChecklistItem(code="income", name="家庭收入证明"),
        ChecklistItem(code="bank", name="本人银行卡或存折", optional=True),
        ChecklistItem(code="disability", name="残疾人证（如有）", optional=True),
    )
    timeline = tuple(
        TimelineEntry(f"2026-11-22T09:{30 + n:02d}:00", "note", f"第{n}条备注：居民说明家庭情况")
        for n in range(12)  # more than fit: the timeline scrolls
    )
    return CaseView(case_no="SL20261122-000123", matter_name="最低生活保障申请（城市）",
                    state="open", items=items, timeline=timeline)  # fmt: skip


def documents() -> DocumentsView:
    def item(n: int, kind: str, stage: str) -> DocumentItem:
        action = "form.sign" if kind == "form" else "print"
        return DocumentItem(f"{n:032x}", kind, "t", action, f"c{n}", stage=stage)

    return DocumentsView(items=(item(1, "receipt", "done"), item(2, "slip", "printing"),
                                item(3, "form", "signed")))  # fmt: skip


def health() -> KioskHealthView:
    checks = [
        CheckResult(part=part, status=status, value="x", message=message)
        for part, status, message in (
            ("idcard", CheckStatus.OK, "读卡器正常"),
            ("doccam", CheckStatus.OK, "高拍仪正常"),
            ("printer", CheckStatus.FAILED, "打印机 Kiosk 缺纸，请装纸后恢复打印"),
            ("signpad", CheckStatus.WARNING, "签字板响应慢"),
        )
    ]
    return KioskHealthView(checks=checks, received_at=NOW)


def clipped(root: QWidget) -> list[str]:
    """Visible buttons, labels and inputs under `root` cut short or outside their parent."""
    found: list[str] = []
    kinds = (QAbstractButton, QLabel, QComboBox, QLineEdit)
    for widget in root.findChildren(QWidget):
        if not widget.isVisible() or not isinstance(widget, kinds):
            continue
        parent = widget.parentWidget()
        if isinstance(parent, QScrollArea) or parent is None or parent.inherits("QTabBar"):
            continue
        name = widget.objectName() or f"{type(widget).__name__}:{getattr(widget, 'text', str)()}"
        if not parent.rect().contains(widget.geometry()):
            found.append(f"{name} outside {parent.objectName() or type(parent).__name__}")
        need = widget.minimumSizeHint()
        if isinstance(widget, QAbstractButton | QComboBox):
            need = need.expandedTo(widget.sizeHint())
        if isinstance(widget, QLabel) and not widget.wordWrap() and widget.pixmap().isNull():
            need = need.expandedTo(widget.sizeHint())
        if widget.width() < need.width() or widget.height() < need.height():
            have = f"{widget.width()}x{widget.height()}"
            found.append(f"{name} {have} < {need.width()}x{need.height()}")
    return found


def test_main_window_fits_and_every_tab_is_whole(
    qtbot: QtBot, desktop: QApplication, test_output: Path
) -> None:
    window = MainWindow(lambda: NOW)
    qtbot.addWidget(window)
    window.set_officer("王警官")
    call = window.call
    face = np.zeros((480, 640, 3), np.uint8)
    face[:, :, 2] = 150
    doc = np.full((540, 960, 3), 80, np.uint8)
    call.set_sources(lambda: face, lambda: np.full((120, 160, 3), 90, np.uint8))
    call.set_doccam_source(lambda: doc)
    window.show_call()
    call.start_call("东湖社区居委会 一体机01")
    call.set_state(CallState.CONNECTED)
    call.kiosk_health.show_view(health())
    call.case.show_view(case())
    call.documents.show_view(documents())
    window.resize(1600, 900)
    window.show()
    qtbot.waitUntil(lambda: call.remote.frames_painted > 0, timeout=3000)

    # The whole window fits a 1600x900 screen (less the desktop's own bars).
    hint = window.minimumSizeHint()
    assert hint.width() <= 1600 and hint.height() <= 900 - DESKTOP_CHROME_PX, hint
    assert call.tabs.currentWidget() is not None
    assert call.tabs.index_of(call.case) == call.tabs.currentIndex()  # a call opens on 办件

    # News on hidden tabs shows as a counter; looking at the tab clears it.
    call.identity.show_view(identity())
    call.materials.show_view(pages(3))
    call.tabs.check_news()
    assert call.tabs.unseen(call.identity) == 1 and call.tabs.unseen(call.materials) == 3
    materials_tab = call.tabs.index_of(call.materials)
    assert call.tabs.tabText(materials_tab) == "材料 (3)"
    call.materials.show_view(pages(4))  # the tabs notice by themselves while the call lasts
    qtbot.waitUntil(lambda: call.tabs.unseen(call.materials) == 4, timeout=3000)
    assert call.tabs.unseen(call.case) == 0
    call.tabs.check_news()  # nothing new since: the counter stays
    assert call.tabs.unseen(call.materials) == 4
    for width, height in SCREENS:
        window.resize(width, height)
        if (width, height) == SCREENS[0]:
            save_screenshot(window, test_output / f"console-layout-{width}x{height}-badges.png")
        tabs = ((call.case, "case"), (call.identity, "identity"),
                (call.materials, "materials"), (call.documents, "documents"))  # fmt: skip
        for panel, name in tabs:
            call.show_panel(panel)
            qtbot.wait(30)
            assert panel.isVisible() and call.kiosk_health.isVisible()
            assert call.tabs.unseen(panel) == 0
            # Everything shown fits without scrolling at either size, and nothing is cut.
            scroll = call.tabs.currentWidget()
            assert isinstance(scroll, QScrollArea)
            holder = scroll.widget()
            assert holder is not None
            assert scroll.viewport().height() >= holder.minimumSizeHint().height(), name
            assert scroll.viewport().width() >= holder.minimumSizeHint().width(), name
            assert scroll.verticalScrollBar().maximum() == 0, name
            assert clipped(window) == [], (name, width)
            save_screenshot(window, test_output / f"console-layout-{width}x{height}-{name}.png")
        # The resident's video gets most of the width; the officer's own view stays small.
        assert call.remote.width() >= 0.6 * width - 60 and call.local.width() <= 200
        assert call.hangup_button.isVisible() and call.status.isVisible()
    assert call.tabs.tabText(materials_tab) == "材料"

    # A new call: no badge carried over from the old one's panels being emptied.
    call.end_call()
    call.materials.show_view(MaterialsView())
    call.identity.show_view(IdentityView())
    call.start_call("滨江公园党群服务站 一体机02")
    call.show_panel(call.case)
    call.tabs.check_news()
    assert [call.tabs.unseen(p) for p in (call.identity, call.materials)] == [0, 0]
