"""The maintenance page behind the technician PIN: wrong PIN refused, results, screenshots."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from argon2 import PasswordHasher
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from kiosk.config import load_kiosk_config
from kiosk.health.config import MaintenanceSection
from kiosk.health.monitor import HealthMonitor
from kiosk.health.pin import PinGate
from kiosk.health.suite import HealthSuite, KioskParts
from kiosk.ui.maintenance import LongPress, attach_maintenance
from shared.ui.screenshot import save_screenshot

if TYPE_CHECKING:
    from tests.support.cups_fixtures import CupsServer


PIN = "2468"


def run(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any]) -> Any:
    return loop.run_until_complete(asyncio.wait_for(coro, 30))


def _enter(overlay: Any, pin: str) -> None:
    for digit in pin:
        overlay.pin_pad.keys[digit].click()
    overlay.pin_pad.keys["ok"].click()


@pytest.mark.usefixtures("themed")
def test_maintenance_page_wrong_pin_refused_then_results(
    qtbot: QtBot,
    loop: asyncio.AbstractEventLoop,
    cups_server: CupsServer,
    tmp_path: Path,
    test_output: Path,
) -> None:
    (tmp_path / "kiosk.toml").write_text(
        f"""
[kiosk]
state_dir = "state"
[hub]
url = "https://127.0.0.1:9"
[idcard]
backend = "simulated"
[printer]
backend = "cups"
name = "NO_SUCH_PRINTER"
server = "{cups_server.server}"
[doccam]
backend = "v4l2"
[maintenance]
pin_sha256 = "{hashlib.sha256(PIN.encode()).hexdigest()}"
"""
    )
    config = load_kiosk_config(tmp_path / "kiosk.toml")

    async def two_screens() -> list[str]:
        return ["face", "touch"]

    monitor = HealthMonitor(HealthSuite(config, KioskParts(screens=two_screens)), None)
    window = QWidget()
    window.resize(1280, 800)
    header = QLabel("某某社区居委会")
    column = QVBoxLayout(window)
    column.addWidget(header)
    column.addStretch(1)
    qtbot.addWidget(window)
    overlay = attach_maintenance(window, header, monitor, loop.create_task)
    window.show()
    overlay.open_page()
    assert overlay.isVisible() and not overlay.unlocked

    _enter(overlay, "1357")
    assert not overlay.unlocked and overlay.pin_pad.error.text() == "密码错误"
    assert overlay.pin_pad.display.text() == ""  # the wrong PIN is not left on screen
    save_screenshot(window, test_output / "kiosk-maintenance-pin.png")
    for digit in "13":
        overlay.pin_pad.keys[digit].click()
    assert overlay.pin_pad.display.text() == "●●"  # digits never shown
    assert not overlay.pin_pad.error.isVisible()
    overlay.pin_pad.keys["clear"].click()

    _enter(overlay, PIN)
    assert overlay.unlocked
    run(loop, overlay.run_again(only=["screens", "idcard", "printer", "doccam", "hub", "version"]))
    table = overlay.results.table
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["打印机"] == "故障" and rows["身份证读卡器"] == "正常"
    assert rows["高拍仪"] == "未配置" and rows["中心服务"] == "故障" and rows["屏幕"] == "正常"
    assert monitor.unavailable_devices() == {"printer", "doccam"}
    # Sending without a hub connection says so instead of pretending.
    run(loop, overlay.send())
    assert overlay.results.status.text() == "报告发送失败"
    save_screenshot(window, test_output / "kiosk-maintenance-results.png")
    overlay.results.close_button.click()
    assert not overlay.isVisible()


def test_pin_gate_locks_after_wrong_pins_and_accepts_argon2() -> None:
    now = [0.0]
    gate = PinGate(
        MaintenanceSection(pin_sha256=hashlib.sha256(PIN.encode()).hexdigest()),
        max_attempts=3,
        lock_seconds=60,
        clock=lambda: now[0],
    )
    assert gate.check(PIN)
    for wrong in ("0000", "12", "abcd"):
        assert not gate.check(wrong)
    assert gate.locked and not gate.check(PIN)  # the right PIN waits out the lockout too
    now[0] = 61.0
    assert gate.check(PIN)
    argon = PinGate(
        MaintenanceSection(pin_argon2=PasswordHasher(time_cost=1, memory_cost=1024).hash("97531"))
    )
    assert argon.check("97531") and not argon.check("97532")
    nothing = PinGate(MaintenanceSection())
    assert not nothing.configured and not nothing.check("")
    with pytest.raises(ValueError):
        MaintenanceSection(pin_sha256="not-a-digest")


def test_long_press_opens_only_after_holding(qtbot: QtBot, themed: QApplication) -> None:
    label = QLabel("header")
    qtbot.addWidget(label)
    opened: list[bool] = []
    LongPress(label, lambda: opened.append(True), 0.2)
    qtbot.mousePress(label, Qt.MouseButton.LeftButton)
    qtbot.mouseRelease(label, Qt.MouseButton.LeftButton)
    assert opened == []  # a tap by a resident does nothing
    qtbot.mousePress(label, Qt.MouseButton.LeftButton)
    time.sleep(0.25)  # not a wait: the finger stays down longer than the long press
    qtbot.mouseRelease(label, Qt.MouseButton.LeftButton)
    assert opened == [True]
