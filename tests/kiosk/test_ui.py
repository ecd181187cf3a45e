"""Kiosk windows: screen placement, pages following the controller, texts, screenshots."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kiosk.app import KioskController, KioskState
from kiosk.ui.kiosk_ui import KioskUi
from kiosk.ui.touch_window import format_mm_ss
from shared import i18n
from shared.protocol import CallState, QueueStatus, SessionEnded
from shared.protocol.messages import Role
from shared.ui.screenshot import save_screenshot
from tests.support.kiosk_fakes import FakeHub, FakePeer, call_started, session_started


class FakeCamera:
    """Only what the self view reads."""

    def __init__(self) -> None:
        self.frame = np.zeros((480, 640, 3), dtype=np.uint8)
        self.frame[:, :, 1] = 160
        self.frame[100:380, 200:440] = (240, 200, 160)

    def latest(self) -> np.ndarray:
        return self.frame


def _make(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, **ui_kwargs: Any
) -> tuple[KioskController, KioskUi, FakeHub]:
    FakePeer.instances.clear()
    hub = FakeHub()
    controller = KioskController(
        hub,
        video=FakeCamera(),  # type: ignore[arg-type]
        peer_factory=FakePeer,
        ended_home_seconds=5,
    )

    def spawn(coro: Coroutine[Any, Any, Any]) -> None:
        loop.run_until_complete(asyncio.wait_for(coro, 5))

    ui = KioskUi(controller, spawn=spawn, **ui_kwargs)
    qtbot.addWidget(ui.face)
    qtbot.addWidget(ui.touch)
    return controller, ui, hub


def _run(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any]) -> Any:
    return loop.run_until_complete(asyncio.wait_for(coro, 5))


def _call(loop: asyncio.AbstractEventLoop, fn: Any, *args: Any) -> None:
    """Run a plain callback the way the peer does: inside the running loop."""

    async def inside() -> None:
        fn(*args)
        await asyncio.sleep(0)

    _run(loop, inside())


def test_windows_land_on_named_screens(
    qtbot: QtBot, themed: QApplication, loop: asyncio.AbstractEventLoop
) -> None:
    _, ui, _ = _make(qtbot, loop)
    ui.show()
    qtbot.waitUntil(lambda: ui.face.isVisible() and ui.touch.isVisible(), timeout=3000)
    assert ui.face.screen().name() == "face"
    assert ui.touch.screen().name() == "touch"
    assert ui.face.isFullScreen() and ui.touch.isFullScreen()
    assert ui.touch.geometry() == ui.touch.screen().geometry()
    ui.close()


def test_swapped_and_missing_screen_names(
    qtbot: QtBot, themed: QApplication, loop: asyncio.AbstractEventLoop
) -> None:
    _, ui, _ = _make(qtbot, loop, face_screen="touch", touch_screen="face")
    ui.show()
    assert ui.face.screen().name() == "touch" and ui.touch.screen().name() == "face"
    ui.close()
    _, ui2, _ = _make(qtbot, loop, face_screen="HDMI-9", touch_screen="touch")
    ui2.show()
    # The missing face screen falls back to the other one, never onto the touch screen.
    assert ui2.face.screen().name() == "face" and ui2.touch.screen().name() == "touch"
    ui2.close()


def test_pages_follow_controller_in_chinese(
    qtbot: QtBot, themed: QApplication, loop: asyncio.AbstractEventLoop, test_output: Path
) -> None:
    controller, ui, hub = _make(qtbot, loop)
    ui.show()
    touch = ui.touch
    assert touch.current_page() is touch.offline
    assert touch.offline.title.text() == "无法连接服务中心"
    save_screenshot(touch, test_output / "kiosk-touch-offline.png")

    _run(loop, controller.handle_connection(True))
    assert touch.current_page() is touch.home
    assert touch.home.start_button.text() == "开始办理"
    assert "幸福社区居委会" in touch.point_label.text()
    assert touch.home.start_button.height() >= 64
    save_screenshot(touch, test_output / "kiosk-touch-home.png")
    save_screenshot(ui.face, test_output / "kiosk-face-idle.png")

    touch.home.start_button.click()
    assert hub.types() == ["queue.join"]
    assert touch.current_page() is touch.waiting
    since = datetime.now(UTC) - timedelta(seconds=75)
    _run(loop, controller.handle_message(QueueStatus(ticket_id=3, position=2, waiting_since=since)))
    assert touch.waiting.position.text() == "第 2 位"
    assert "01:1" in touch.waiting.waited.text()
    assert touch.waiting.cancel_button.text() == "取消"
    assert ui.face.status_label.text() == "等待接通"
    save_screenshot(touch, test_output / "kiosk-touch-waiting.png")

    _run(loop, controller.handle_message(session_started()))
    _run(loop, call_started(controller))
    assert touch.current_page() is touch.call
    assert touch.call.hangup_button.text() == "挂断"
    assert ui.face.status_label.text() == "正在接通"
    _call(loop, FakePeer.instances[-1].connect)
    assert ui.face.status_label.text() == "通话中"
    assert "王警官" in ui.face.officer_label.text()
    qtbot.waitUntil(lambda: ui.face.remote_view.frames_painted > 0, timeout=3000)
    qtbot.waitUntil(lambda: ui.face.local_view.frames_painted > 0, timeout=3000)
    save_screenshot(touch, test_output / "kiosk-touch-call.png")
    save_screenshot(ui.face, test_output / "kiosk-face-call.png")

    _call(loop, FakePeer.instances[-1].set_state, CallState.RECONNECTING)
    assert ui.face.status_label.text() == "正在重新连接"
    assert ui.face.remote_view.overlay_text() == "正在重新连接…"
    save_screenshot(ui.face, test_output / "kiosk-face-reconnecting.png")
    _call(loop, FakePeer.instances[-1].set_state, CallState.CONNECTED)
    assert ui.face.remote_view.overlay_text() is None

    touch.call.hangup_button.click()
    assert "session.end" in hub.types()
    assert touch.current_page() is touch.ended
    assert touch.ended.title.text() == "感谢您的使用"
    assert "秒后返回首页" in touch.ended.countdown.text()
    assert ui.face.status_label.text() == "已结束"
    save_screenshot(touch, test_output / "kiosk-touch-ended.png")

    touch.ended.home_button.click()
    assert touch.current_page() is touch.home
    ui.close()
    _run(loop, controller.shutdown())


def test_connection_lost_page(
    qtbot: QtBot, themed: QApplication, loop: asyncio.AbstractEventLoop, test_output: Path
) -> None:
    controller, ui, _ = _make(qtbot, loop)
    _run(loop, controller.handle_connection(True))
    ui.touch.home.start_button.click()
    _run(loop, controller.handle_message(session_started()))
    _run(loop, call_started(controller))
    _run(loop, controller.handle_connection(False))
    assert ui.touch.current_page() is ui.touch.ended
    assert ui.touch.ended.reason.text() == "与服务中心的连接已断开"
    save_screenshot(ui.touch, test_output / "kiosk-touch-lost.png")
    ui.close()
    _run(loop, controller.shutdown())


def test_cancel_button(qtbot: QtBot, themed: QApplication, loop: asyncio.AbstractEventLoop) -> None:
    controller, ui, hub = _make(qtbot, loop)
    _run(loop, controller.handle_connection(True))
    ui.touch.home.start_button.click()
    ui.touch.waiting.cancel_button.click()
    assert hub.types() == ["queue.join", "queue.leave"]
    assert ui.touch.current_page() is ui.touch.home
    ui.close()


def test_officer_hangup_shows_ended(
    qtbot: QtBot, themed: QApplication, loop: asyncio.AbstractEventLoop
) -> None:
    controller, ui, _ = _make(qtbot, loop)
    _run(loop, controller.handle_connection(True))
    ui.touch.home.start_button.click()
    _run(loop, controller.handle_message(session_started()))
    _run(loop, call_started(controller))
    _run(
        loop,
        controller.handle_message(SessionEnded(session_id="s1", reason="hangup", by=Role.OFFICER)),
    )
    assert controller.state == KioskState.ENDED
    assert ui.touch.current_page() is ui.touch.ended
    ui.close()
    _run(loop, controller.shutdown())


def test_english_texts(
    qtbot: QtBot, themed: QApplication, loop: asyncio.AbstractEventLoop, test_output: Path
) -> None:
    i18n.set_language("en")
    controller, ui, _ = _make(qtbot, loop)
    _run(loop, controller.handle_connection(True))
    assert ui.touch.home.start_button.text() == "Start"
    save_screenshot(ui.touch, test_output / "kiosk-touch-home-en.png")
    ui.touch.home.start_button.click()
    assert ui.touch.waiting.title.text() == "In the queue"
    assert ui.face.status_label.text() == "Waiting for an officer"
    ui.close()


def test_format_mm_ss() -> None:
    assert format_mm_ss(0) == "00:00"
    assert format_mm_ss(75.9) == "01:15"
    assert format_mm_ss(3600) == "60:00"
    assert format_mm_ss(None) == "00:00"
