"""Kiosk ID card pages: the card prompt with its picture, keypad entry, results on the call page."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kiosk.app import KioskController
from kiosk.devices.idcard import IdCardReaderConfig
from kiosk.devices.idcard.simulated import SimulatedReader
from kiosk.identity import Prompt
from kiosk.ui.idcard_pages import masked_typing
from kiosk.ui.kiosk_ui import KioskUi
from shared.protocol import DeviceCommand
from shared.ui.screenshot import save_screenshot
from tests.support.identity_samples import EXPIRED_NUMBER, OTHER_NUMBER, VALID_NUMBER, record
from tests.support.kiosk_fakes import FakeHub, FakePeer, session_started
from tests.support.waiting import until

RESIDENTS = [record(), record(EXPIRED_NUMBER, "测试居民丙", valid_to=dt.date(2020, 1, 1))]


def run(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any]) -> Any:
    return loop.run_until_complete(asyncio.wait_for(coro, 5))


def click(
    loop: asyncio.AbstractEventLoop, button: Any, done: Callable[[], object], what: str
) -> None:
    """Click inside the running loop (the desk starts its work as a task), until `done()`."""

    async def inside() -> None:
        button.click()
        await until(done, what)

    run(loop, inside())


Made = tuple[KioskController, KioskUi, FakeHub, SimulatedReader]


def make(qtbot: QtBot, loop: asyncio.AbstractEventLoop) -> Made:
    hub = FakeHub()
    reader = SimulatedReader(IdCardReaderConfig(), residents=RESIDENTS)
    controller = KioskController(
        hub, peer_factory=FakePeer, idcard=IdCardReaderConfig(),
        card_reader_factory=lambda _: reader,
    )  # fmt: skip
    # Button actions become tasks on the test's loop; `click` then lets them run.
    ui = KioskUi(controller, spawn=loop.create_task, fullscreen=False)
    qtbot.addWidget(ui.face)
    qtbot.addWidget(ui.touch)
    run(loop, controller.handle_connection(True))
    click(loop, ui.touch.home.start_button, lambda: hub.types() == ["queue.join"], "the join")
    run(loop, controller.handle_message(session_started("s1")))
    return controller, ui, hub, reader


def test_helper_reads_card_and_officer_command_prompts(
    qtbot: QtBot, themed: QApplication, loop: asyncio.AbstractEventLoop, test_output: Path
) -> None:
    controller, ui, hub, reader = make(qtbot, loop)
    touch = ui.touch
    ui.show()
    assert touch.current_page() is touch.call
    assert touch.call.read_id_button.text() == "读取身份证"

    click(loop, touch.call.read_id_button, lambda: touch.current_page() is touch.card_prompt,
          "the card prompt")  # fmt: skip
    assert touch.card_prompt.title.text() == "请将身份证放在读卡区"
    save_screenshot(touch, test_output / "kiosk-touch-card-prompt.png")
    reader.present(0)
    run(loop, until(lambda: touch.current_page() is touch.call, "the card read"))
    reports = [m for m in hub.sent if m.type == "identity.report"]
    assert len(reports) == 1 and reports[0].command_id is None
    shown = touch.call.id_result.text()
    assert "测试居民甲" in shown and VALID_NUMBER[-4:] in shown and VALID_NUMBER not in shown

    # The officer's command: progress, prompt, then the helper cancels.
    command = DeviceCommand(session_id="s1", command_id="c1", kind="idcard.read")
    run(loop, controller.handle_message(command))
    run(loop, until(lambda: touch.current_page() is touch.card_prompt, "the card prompt"))
    cancelled = lambda: any(m.type == "device.failed" for m in hub.sent)  # noqa: E731
    click(loop, touch.card_prompt.cancel_button, cancelled, "the cancel report")
    assert touch.current_page() is touch.call and touch.call.id_result.text() == "已取消读卡"
    assert [(m.type, getattr(m, "stage", None) or getattr(m, "code", None)) for m in hub.sent
            if m.type.startswith("device.")] == [
        ("device.progress", "waiting_for_card"), ("device.failed", "cancelled")]  # fmt: skip
    ui.close()


def test_manual_entry_keypad_masks_validates_and_sends(
    qtbot: QtBot, themed: QApplication, loop: asyncio.AbstractEventLoop, test_output: Path
) -> None:
    controller, ui, hub, _ = make(qtbot, loop)
    touch = ui.touch
    ui.show()
    run(loop, controller.handle_message(DeviceCommand(session_id="s1", command_id="m1",
                                                      kind="idcard.read")))  # fmt: skip
    run(loop, until(lambda: touch.current_page() is touch.card_prompt, "the card prompt"))
    page = touch.manual_entry
    click(loop, touch.card_prompt.manual_button, lambda: touch.current_page() is page,
          "the keypad")  # fmt: skip
    assert controller.idcard.prompt is Prompt.MANUAL

    wrong = OTHER_NUMBER[:17] + ("0" if OTHER_NUMBER[17] != "0" else "1")
    for key in wrong:
        page.keys[key].click()
    page.keys["1"].click()  # a 19th character is not taken
    assert page.typed == wrong
    assert page.number.text() == masked_typing(wrong) == wrong[:6] + "*" * 8 + wrong[-4:]
    page.name.setText("王小明")
    click(loop, page.submit_button, page.error.text, "the check-digit error")
    assert "校验位" in page.error.text()
    assert not [m for m in hub.sent if m.type == "identity.report"]
    save_screenshot(touch, test_output / "kiosk-touch-manual-entry.png")

    page.keys["⌫"].click()
    page.keys[OTHER_NUMBER[17]].click()
    assert page.error.text() == "" and page.typed == OTHER_NUMBER
    click(loop, page.submit_button, lambda: any(m.type == "identity.report" for m in hub.sent),
          "the identity report")  # fmt: skip
    reports = [m for m in hub.sent if m.type == "identity.report"]
    assert len(reports) == 1 and reports[0].command_id == "m1"
    assert reports[0].record["source"] == "manual" and reports[0].record["name"] == "王小明"
    assert touch.current_page() is touch.call and page.typed == ""
    assert OTHER_NUMBER not in touch.call.id_result.text()

    # Hanging up clears the prompt and the result.
    run(loop, controller.handle_message(DeviceCommand(session_id="s1", command_id="m2",
                                                      kind="idcard.read")))  # fmt: skip
    run(loop, controller.hang_up())
    assert controller.idcard.prompt is Prompt.NONE and controller.idcard.last_masked is None
    ui.close()
    run(loop, controller.shutdown())
