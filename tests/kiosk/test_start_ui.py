"""The start pages on the touch screen: categories, search, greyed matters, checklist, call-back."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kiosk.app import KioskController, KioskState
from kiosk.start_flow import StartStep
from kiosk.ui.kiosk_ui import KioskUi
from kiosk.ui.start_pages import CategoryPage
from kiosk.ui.start_ui import StartUi
from shared import i18n
from shared.catalogue.io import load_sample
from shared.hubclient import HubRequestError
from shared.ui.screenshot import save_screenshot
from tests.support.kiosk_fakes import FakeHub, FakePeer
from tests.support.waiting import until


class StartHub(FakeHub):
    """FakeHub with the HTTP side the start pages use: the sample catalogue and the hours."""

    def __init__(self) -> None:
        super().__init__()
        self.service: dict[str, Any] = {
            "point": {"id": 1, "name": "幸福社区居委会"},
            "open_now": True,
            "hours_today": [["09:00", "12:00"], ["13:30", "17:00"]],
            "next_open": None,
            "closed": False,
        }
        self.posted: list[tuple[str, dict[str, Any]]] = []

    async def get_json(self, path: str, **params: str) -> Any:
        if path == "/api/v1/catalogue":
            sample = load_sample()
            return {"version_id": 1, "label": sample.version,
                    "catalogue": sample.model_dump(mode="json")}  # fmt: skip
        if path == "/api/v1/kiosk/service":
            return self.service
        raise HubRequestError("not_found", path)

    async def post_json(self, path: str, payload: dict[str, Any]) -> Any:
        self.posted.append((path, payload))
        return {"id": len(self.posted), "phone_masked": "138****5678"}


class Monitor:
    """Stands in for the kiosk's HealthMonitor: `unavailable_devices()`, nothing to resend."""

    def __init__(self) -> None:
        self.down: set[str] = set()
        self.send_error: str | None = None

    def unavailable_devices(self) -> set[str]:
        return set(self.down)


def _run(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any]) -> Any:
    return loop.run_until_complete(asyncio.wait_for(coro, 5))


def test_start_pages(
    qtbot: QtBot,
    themed: QApplication,
    loop: asyncio.AbstractEventLoop,
    tmp_path: Path,
    test_output: Path,
) -> None:
    hub = StartHub()
    controller = KioskController(
        hub,
        peer_factory=FakePeer,
        state_dir=tmp_path,
    )

    def spawn(coro: Coroutine[Any, Any, Any]) -> Any:
        # Inside the loop (a controller listener) a task, as the real UI does; else run it now.
        return loop.create_task(coro) if loop.is_running() else _run(loop, coro)

    ui = KioskUi(controller, spawn=spawn, fullscreen=False)
    # The offer reads the monitor at every render (set after the UI: no maintenance page here).
    monitor = Monitor()
    controller.health = monitor
    qtbot.addWidget(ui.face)
    qtbot.addWidget(ui.touch)
    ui.touch.resize(1280, 720)
    ui.touch.show()
    start = ui.start
    assert isinstance(start, StartUi)
    touch = ui.touch
    _run(loop, controller.handle_connection(True))
    # The catalogue is fetched at connect (in a task) and cached.
    _run(loop, until((tmp_path / "catalogue.json").exists, "the catalogue's cache"))

    touch.home.start_button.click()
    assert touch.current_page() is start.category and hub.types() == []
    buttons = start.category.line_buttons
    assert len(buttons) == 11 and buttons["civil"].text() == "民政"
    assert all(b.height() >= 96 for b in buttons.values())
    save_screenshot(touch, test_output / "kiosk-start-category.png")

    # A failed printer greys the matters that need it, with the reason on the button.
    monitor.down.add("printer")
    buttons["civil"].click()
    assert touch.current_page() is start.matters
    dbsq = start.matters.matter_buttons["civil.dbsq"]
    assert not dbsq.isEnabled() and "本机打印机暂不可用" in dbsq.text()
    assert start.matters.matter_buttons["civil.hydj"].isEnabled()
    assert not start.matters.keyboard.isVisible()
    save_screenshot(touch, test_output / "kiosk-start-matters-greyed.png")
    monitor.down.clear()

    # Search by pinyin initials on the letter keyboard.
    start.matters.back_button.click()
    assert touch.current_page() is start.category
    start.category.search_button.click()
    for letter in "DBSQ":
        start.matters.keyboard.keys[letter].click()
    assert start.flow.query == "dbsq" and list(start.matters.matter_buttons) == ["civil.dbsq"]
    assert "DBSQ" in start.matters.title.text()
    save_screenshot(touch, test_output / "kiosk-start-search.png")
    start.matters.keyboard.backspace.click()
    assert start.flow.query == "dbs"
    start.matters.keyboard.clear.click()
    for letter in "GSRD":
        start.matters.keyboard.keys[letter].click()
    gsrd = start.matters.matter_buttons["hrss.gsrd"]
    assert not gsrd.isEnabled() and "服务中心现场办理" in gsrd.text()

    # The checklist, then 开始办理 joins the queue with the matter and assistance.
    start.matters.keyboard.clear.click()
    for letter in "DBSQ":
        start.matters.keyboard.keys[letter].click()
    start.matters.matter_buttons["civil.dbsq"].click()
    page = start.matter
    assert touch.current_page() is page and page.title.text() == "低保申请"
    texts = [label.text() for label in page.item_labels]
    assert any("家庭收入证明" in t and "需提交原件" in t for t in texts)
    assert any("户口簿" in t and "需提交原件" not in t for t in texts)
    assert page.start_button.isVisible() and not page.callback_button.isVisible()
    assert not page.card_button.isVisible()  # manual entry only: no card read before the call
    page.assistance_button.click()
    assert start.flow.assistance and page.assistance_button.isChecked()
    save_screenshot(touch, test_output / "kiosk-start-checklist.png")
    page.start_button.click()
    assert hub.types() == ["queue.join"]
    join = hub.sent[-1]
    assert (join.matter, join.assistance, join.birth_date) == ("civil.dbsq", True, None)
    assert controller.state == KioskState.WAITING and touch.current_page() is touch.waiting
    _run(loop, controller.cancel_waiting())
    assert touch.current_page() is touch.home

    # Outside service hours: 留下回电请求 with the digit keypad.
    hub.service.update(open_now=False, next_open="2026-11-23T09:00:00+08:00")
    touch.home.start_button.click()
    start.category.line_buttons["hrss"].click()
    start.matters.matter_buttons["hrss.ylzg"].click()
    assert not page.start_button.isVisible() and page.callback_button.isVisible()
    assert "现在不在服务时间" in page.hours.text() and "09:00-12:00" in page.hours.text()
    save_screenshot(touch, test_output / "kiosk-start-closed.png")
    page.callback_button.click()
    cb = start.callback
    assert touch.current_page() is cb
    for digit in "139":
        cb.keypad.keys[digit].click()
    assert not cb.submit_button.isEnabled() and cb.validity.text()
    for digit in "12345678":
        cb.keypad.keys[digit].click()
    assert cb.submit_button.isEnabled() and cb.phone.text() == "139****5678"
    save_screenshot(touch, test_output / "kiosk-start-callback.png")
    cb.submit_button.click()
    assert hub.posted == [
        ("/api/v1/callbacks", {"matter_code": "hrss.ylzg", "phone": "13912345678", "note": ""})
    ]
    assert touch.current_page() is start.callback_done
    assert "139****5678" in start.callback_done.detail.text()
    save_screenshot(touch, test_output / "kiosk-start-callback-done.png")
    start.callback_done.done_button.click()
    assert touch.current_page() is touch.home

    # Left alone on a start page: back home after the idle timeout.
    touch.home.start_button.click()
    assert touch.current_page() is start.category
    start.idle_seconds = 0
    start.check_idle()
    assert touch.current_page() is touch.home and start.flow.step == StartStep.HOME
    ui.close()

    # English second: the same pages, texts from start.en.json.
    i18n.set_language("en")
    english = CategoryPage()
    qtbot.addWidget(english)
    assert english.title.text() == "Choose the kind of matter"
    assert english.search_button.text() == "Find by pinyin initials"
