"""Case widgets with qtbot (offscreen): the console's case panel, the kiosk's progress page and
the capture page's checklist; screenshots in var/test-output/.

Here with the kiosk's tests, as most of them are the kiosk's; the console's case panel and its
wiring are tested here too, beside them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QWidget

from backoffice_console.cases import CaseView, TimelineEntry
from backoffice_console.materials import MaterialsView, PageItem
from backoffice_console.model import ConsoleError
from backoffice_console.ui.call_view import CallView
from backoffice_console.ui.case_wiring import CaseUi
from kiosk.progress import ProgressDesk
from kiosk.ui.capture_page import CapturePage
from kiosk.ui.checklist_box import ChecklistBox
from kiosk.ui.progress_page import ProgressPage
from shared import i18n
from shared.assets import assets_dir
from shared.protocol import ChecklistItem, ChecklistStatus, KioskItem
from shared.ui.fonts import install_cjk_font
from shared.ui.screenshot import save_screenshot
from shared.ui.theme import apply_theme
from tests.kiosk.test_ui import _make, _run
from tests.support.kiosk_fakes import call_started, session_started

ITEMS = (
    ChecklistItem(code="id", name="居民身份证", pages=["11"]),
    ChecklistItem(code="hkb", name="户口簿", pages=["12", "13"]),
    ChecklistItem(code="income", name="家庭收入证明"),
    ChecklistItem(code="bank", name="本人银行卡或存折", optional=True),
)


def themed(app: QApplication, theme: str) -> None:
    apply_theme(app, theme, font_family=install_cjk_font(app))
    i18n.set_language("zh_CN")


@pytest.fixture
def restore(qapp: QApplication) -> Iterator[QApplication]:
    old = qapp.styleSheet()
    yield qapp
    qapp.setStyleSheet(old)
    i18n.set_language("zh_CN")


def test_console_case_panel_beside_the_video(qtbot: Any, restore: QApplication,
                                             test_output: Path) -> None:  # fmt: skip
    themed(restore, "desktop")
    view = CallView()
    qtbot.addWidget(view)
    view.resize(1400, 1040)
    view.show()
    frame = np.full((240, 320, 3), 70, np.uint8)
    view.set_sources(lambda: frame, lambda: frame)
    view.start_call("东湖社区居委会 一体机01")
    panel = view.case
    case = CaseView(
        case_no="SL20261122-000123", matter_name="低保申请", state="open", items=ITEMS,
        timeline=(TimelineEntry("2026-11-22T09:30:00", "opened"),
                  TimelineEntry("2026-11-22T09:31:10", "identity.read"),
                  TimelineEntry("2026-11-22T09:33:00", "note", "居民下午补交收入证明"),
                  TimelineEntry("2026-11-22T09:34:00", "checklist.assigned", item="hkb"),
                  TimelineEntry("2026-11-22T09:35:00", "outcome", state="completed")),
    )  # fmt: skip
    panel.show_view(case)
    assert panel.case_no.text() == "案件编号：SL20261122-000123"
    rows = [panel.checklist.item(i).text() for i in range(panel.checklist.count())]
    assert rows[1] == "✓ 户口簿 · 第12、13页" and rows[2] == "✗ 家庭收入证明 · 未收"
    assert "（可选）" in rows[3]
    panel.page_no = {"11": "1", "12": "2", "13": "3"}.__getitem__  # material id -> page
    panel.show_view(case)
    assert panel.checklist.item(1).text() == "✓ 户口簿 · 第2、3页"
    assert panel.timeline.item(2).text() == "09:33 备注：居民下午补交收入证明"
    assert panel.timeline.item(3).text() == "09:34 材料归入清单：户口簿"
    assert panel.timeline.item(4).text() == "09:35 办理结果：当场办结"
    # The call view still fits a 1080-high screen with the case panel in it.
    assert view.minimumSizeHint().height() <= 1080
    assert panel.isVisible() and panel.width() >= 280

    assigned: list[str] = []
    panel.assign_requested.connect(assigned.append)
    panel.assign_button.click()  # nothing selected: the first missing item
    panel.checklist.setCurrentRow(1)
    panel.assign_button.click()
    assert assigned == ["income", "hkb"]
    outcomes: list[tuple[str, str]] = []
    panel.outcome_requested.connect(lambda s, r: outcomes.append((s, r)))
    panel.outcome.setCurrentIndex(panel.outcome.findData("needs_more"))
    panel.reason.setText("缺家庭收入证明")
    panel.outcome_button.click()
    assert outcomes == [("needs_more", "缺家庭收入证明")]
    save_screenshot(view, test_output / "console-case-panel.png")

    panel.show_view(CaseView(
        case_no=case.case_no, matter_name="低保申请", state="accepted", approval_state="pending",
        items=ITEMS, error_key="cases.error.refused", error_detail="bad_state",
    ))  # fmt: skip
    assert panel.state.text() == "状态：已受理（转后台审批） · 审批中"
    assert panel.error.text() == "操作被拒绝：bad_state"
    panel.show_view(CaseView())
    assert panel.case_no.text() == "暂无案件" and not panel.outcome_button.isEnabled()


class _RecordingCaseDesk:
    """The case desk's actions the panel asks for; the outcome is refused like the hub does."""

    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    async def assign_page(self, material_id: int, item_code: str) -> None:
        self.calls.append(("assign", material_id, item_code))

    async def add_note(self, text: str) -> None:
        self.calls.append(("note", text))

    async def set_outcome(self, state: str, reason: str | None = None) -> None:
        raise ConsoleError("cases.error.refused", "bad_state")


async def test_case_wiring_runs_the_panel_requests_on_the_desk(
    qtbot: Any, restore: QApplication
) -> None:
    view = CallView()
    qtbot.addWidget(view)
    pages = MaterialsView(pages=(PageItem(41, 1, 8, 8, b""), PageItem(42, 2, 8, 8, b"")))
    desk = _RecordingCaseDesk()
    started: list[tuple[Coroutine[Any, Any, None], str]] = []
    wiring = CaseUi(view.case, view.materials, desk, SimpleNamespace(view=pages),  # type: ignore[arg-type]
                    lambda coro, name: started.append((coro, name)))  # fmt: skip
    assert wiring.panel is view.case
    assert view.case.page_no("42") == "2" and view.case.page_no("7") == "?"
    view.case.assign_requested.emit("hkb")  # no page selected in the materials tab
    assert started == [] and view.case.error.text() == "请先在材料栏选中一页"
    view.materials.show_view(pages)
    view.materials.pages.setCurrentRow(1)
    view.case.assign_requested.emit("hkb")
    view.case.note_requested.emit("居民下午补交收入证明")
    view.case.outcome_requested.emit("needs_more", "缺家庭收入证明")
    assert [name for _, name in started] == ["assign", "case-note", "outcome"]
    for coro, _ in started:
        await coro
    assert desk.calls == [("assign", 42, "hkb"), ("note", "居民下午补交收入证明")]
    assert view.case.error.text() == "操作被拒绝：bad_state"


class AnsweringHub:
    """Answers the progress look-up the way the hub does for a known case and right digits."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer
        self.asked: list[dict[str, Any]] = []

    async def post_json(self, path: str, payload: dict[str, Any]) -> Any:
        assert path == "/api/v1/progress"
        self.asked.append(payload)
        return self.answer


def _sized(widget: QWidget, qtbot: Any) -> None:
    qtbot.addWidget(widget)
    widget.resize(1280, 640)  # the touch screen below the header
    widget.show()


async def test_kiosk_progress_page(qtbot: Any, restore: QApplication, test_output: Path) -> None:
    themed(restore, "default")
    answer = {
        "case_no": "SL20261122-000123", "state": "accepted", "approval_state": "pending",
        "matter_name": "低保申请", "matter_name_en": "Subsistence allowance",
        "line_name": "民政", "opened_at": "2026-11-22T09:30:00+08:00",
        "closed_at": "2026-11-22T09:52:00+08:00", "timeline": [
            {"at": "2026-11-22T09:30:00+08:00", "kind": "opened", "state": None},
            {"at": "2026-11-22T09:52:00+08:00", "kind": "outcome", "state": "accepted"},
        ], "originals": [
            {"code": "LZ-SL20261122-000123", "state": "at_centre",
             "since": "2026-11-23T10:00:00+08:00", "items": ["户口本原件"], "overdue": False},
        ],
    }  # fmt: skip
    hub = AnsweringHub(answer)
    desk = ProgressDesk(lambda: hub)
    page = ProgressPage()
    _sized(page, qtbot)
    page.follow(desk)
    assert page.minimumSizeHint().height() <= 660  # fits the 720-high touch screen
    for key in "20261122000123":
        page.key_buttons[key].click()
    assert page.case_field.text().startswith("SL20261122-000123")
    for key in "123":
        page.key_buttons[key].click()
    assert page.key_buttons["X"].isEnabled()
    page.key_buttons["X"].click()
    assert page.last4_field.text().startswith("●●●●")  # digits never shown
    for button in page.key_buttons.values():
        assert button.height() >= 60 and button.width() >= 120  # big targets
    save_screenshot(page, test_output / "kiosk-progress-entry.png")
    assert await desk.query()
    assert hub.asked == [{"case_no": "SL20261122-000123", "last4": "123X"}]
    assert page.right.currentIndex() == 1
    assert "办理状态：已受理（转后台审批） · 审批中" in page.result_title.text()
    rows = [page.timeline.item(i).text() for i in range(page.timeline.count())]
    assert rows[1].endswith("办理结果 · 已受理（转后台审批）")
    assert rows[2] == "原件去向：已送达受理中心"
    save_screenshot(page, test_output / "kiosk-progress-result.png")
    page.case_field.click()  # back to typing: the keypad returns
    assert page.right.currentIndex() == 0


def test_capture_page_checklist(qtbot: Any, restore: QApplication, test_output: Path) -> None:
    themed(restore, "default")
    page = CapturePage()
    _sized(page, qtbot)
    box = ChecklistBox()
    assert box.attach_to(page, page.pages)
    assert box.isHidden()
    status = ChecklistStatus(session_id="s1", matter_name="低保申请", items=[
        KioskItem(code=i.code, name=i.name, optional=i.optional, done=i.done) for i in ITEMS
    ])  # fmt: skip
    box.show_status(status)
    assert box.isVisible()
    assert box.summary.text() == "还缺 1 项材料"  # the optional item does not count
    assert box.rows()[2] == "✗ 还缺：家庭收入证明" and box.rows()[0].startswith(
        "✓ 已收：居民身份证"
    )
    save_screenshot(page, test_output / "kiosk-capture-checklist.png")
    box.show_status(ChecklistStatus(session_id="s1", items=[
        KioskItem(code="id", name="居民身份证", done=True)]))  # fmt: skip
    assert box.summary.text() == "材料已齐"


def test_cases_translations_have_the_same_keys() -> None:
    folder = assets_dir() / "i18n"
    zh = json.loads((folder / "cases.zh_CN.json").read_text(encoding="utf-8"))
    en = json.loads((folder / "cases.en.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en) and len(zh) > 50
    i18n.set_language("en")
    try:
        assert i18n.tr("cases", "progress.entry") == "Check progress"
    finally:
        i18n.set_language("zh_CN")


def test_kiosk_home_entry_opens_progress_and_checklist_follows_the_call(
    qtbot: Any,
    restore: QApplication,
    loop: asyncio.AbstractEventLoop,
    test_output: Path,
) -> None:
    themed(restore, "default")
    controller, ui, hub = _make(qtbot, loop)
    ui.show()
    touch = ui.touch
    _run(loop, controller.handle_connection(True))
    assert touch.current_page() is touch.home
    entry = ui.cases.entry
    assert entry.text() == "查询办理进度" and entry.height() >= 96
    save_screenshot(touch, test_output / "kiosk-home-progress-entry.png")
    entry.click()
    assert touch.current_page() is ui.cases.page
    save_screenshot(touch, test_output / "kiosk-touch-progress.png")
    ui.cases.page.back_button.click()
    assert touch.current_page() is touch.home and not ui.cases.desk.active

    start = touch.home.start_button
    start.click()
    _run(loop, controller.handle_message(session_started("s1")))
    _run(loop, call_started(controller))
    box = ui.cases.checklist
    assert box.isHidden()
    items = [KioskItem(code="id", name="居民身份证", done=True),
             KioskItem(code="hkb", name="户口簿", done=False)]  # fmt: skip
    _run(loop, controller.handle_message(ChecklistStatus(session_id="s1", items=items)))
    assert not box.isHidden() and box.summary.text() == "还缺 1 项材料"
    # Another session's checklist is not shown.
    _run(loop, controller.handle_message(ChecklistStatus(session_id="old", items=items)))
    assert box.isHidden()
    del hub
