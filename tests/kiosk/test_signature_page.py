"""The kiosk signature pad: QTest mouse strokes, clear, refuse empty, confirm, cannot sign."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kiosk.signing import SignDesk, SignRequest, render_page_png
from kiosk.ui.signature_page import SignaturePage
from shared import i18n
from shared.documents import render_form
from shared.ui.fonts import install_cjk_font
from shared.ui.screenshot import save_screenshot
from shared.ui.theme import apply_theme
from tests.support import document_samples as samples


class RecordingHub:
    """Records what the desk sends (the real-hub flow is in test_printsign_sign.py)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.requests: list[Any] = []

    async def request(self, message: Any, timeout: float = 10.0) -> Any:
        self.requests.append(message)

    async def get_json(self, path: str, **params: str) -> Any:
        raise AssertionError("not used")

    async def get_bytes(self, path: str) -> bytes:
        raise AssertionError("not used")

    async def post_json(self, path: str, payload: dict[str, Any]) -> Any:
        self.posts.append((path, payload))
        return {"status": "signed"}


@pytest.fixture
def page(qapp: QApplication, qtbot: QtBot, loop: asyncio.AbstractEventLoop) -> Iterator[Any]:
    old = qapp.styleSheet()
    apply_theme(qapp, "default", font_family=install_cjk_font(qapp))
    i18n.set_language("zh_CN")
    hub = RecordingHub()
    desk = SignDesk(hub, lambda: None)
    png = render_page_png(render_form(samples.form()).pdf, 0, dpi=60)
    desk.request = SignRequest("s1", "c1", "a" * 32, "applicant", "申请人签名", "承诺书", png)
    spawned: list[Coroutine[Any, Any, Any]] = []
    widget = SignaturePage(desk, spawned.append)
    widget.resize(800, 1000)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget, desk, hub, spawned
    qapp.setStyleSheet(old)


def draw(pad: Any, points: list[tuple[int, int]]) -> None:
    QTest.mousePress(
        pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*points[0])
    )
    for x, y in points[1:]:
        QTest.mouseMove(pad, QPoint(x, y))
    QTest.mouseRelease(
        pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*points[-1])
    )


def test_pad_records_strokes_clears_and_refuses_empty(
    page: Any, loop: asyncio.AbstractEventLoop
) -> None:
    widget, desk, hub, spawned = page
    pad = widget.pad
    assert widget.page.pixmap() is not None and not widget.page.pixmap().isNull()
    widget.confirm_button.click()
    assert spawned == [] and widget.message.text() == i18n.tr("kiosk", "sign.empty")
    draw(pad, [(40, 100), (120, 60), (200, 140), (300, 80)])
    draw(pad, [(320, 120), (420, 120)])
    assert len(pad.strokes) == 2 and len(pad.strokes[0]) >= 4
    assert all(0.0 <= x <= 1.0 and 0.0 <= y <= 1.0 for s in pad.strokes for x, y in s)
    image = pad.grab().toImage()
    assert image.pixelColor(120, 60).blue() > image.pixelColor(120, 60).red()  # ink drawn
    widget.clear_button.click()
    assert pad.empty
    draw(pad, [(50, 50), (250, 150)])
    widget.confirm_button.click()
    assert len(spawned) == 1
    assert loop.run_until_complete(asyncio.wait_for(spawned[0], 5)) is True
    path, body = hub.posts[0]
    assert path == f"/api/v1/documents/{'a' * 32}/signature" and body["field"] == "applicant"
    assert len(body["strokes"]) == 1 and body["strokes"][0][0][0] == pytest.approx(
        50 / pad.width(), abs=1e-3
    )
    assert hub.requests[-1].stage == "signed" and desk.request is None


def test_cannot_sign_needs_a_reason(page: Any, loop: asyncio.AbstractEventLoop) -> None:
    widget, _desk, hub, spawned = page
    widget.cannot_button.click()
    assert loop.run_until_complete(asyncio.wait_for(spawned.pop(), 5)) is False
    widget.refresh()
    assert widget.message.text() == i18n.tr("kiosk", "sign.reason_needed") and hub.posts == []
    widget.reason.setText("不识字，按手印代替")
    widget.cannot_button.click()
    assert loop.run_until_complete(asyncio.wait_for(spawned.pop(), 5)) is True
    assert hub.posts[0][1] == {"reason": "不识字，按手印代替"}


def test_screenshot_of_the_signature_screen(page: Any, tmp_path: Path) -> None:
    widget, *_ = page
    draw(widget.pad, [(60, 120), (140, 50), (220, 150), (320, 70), (420, 130)])
    out = save_screenshot(widget, tmp_path / "kiosk-signature.png")
    assert out.stat().st_size > 10_000
