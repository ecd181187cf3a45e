"""The console's document-camera pane: picture-in-picture, page outline, 放大/缩小, 拍照.

Screenshots: console-doccam-pip.png (the preview small, over the resident's video) and
console-doccam-big.png (swapped: the document camera fills the call view, outlined).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from backoffice_console.ui.call_view import CallView
from shared import i18n
from shared.imaging.synthetic import Lighting, photograph, render_document
from shared.protocol import CallState
from shared.ui.screenshot import save_screenshot
from tests.support.qt_helpers import styled_app_fixture  # noqa: F401

CORNERS = np.array([[300, 40], [640, 60], [620, 500], [280, 480]], np.float32)


def doccam_frame() -> np.ndarray:
    page = render_document(620, seed=3)
    return photograph(page, CORNERS, (960, 540), seed=3, lighting=Lighting(noise_sigma=2.0))


def test_pip_outline_swap_and_capture(qtbot, test_output: Path) -> None:  # type: ignore[no-untyped-def]
    view = CallView()
    qtbot.addWidget(view)
    view.resize(1200, 790)
    view.show()
    face = np.zeros((480, 640, 3), np.uint8)
    face[:, :, 0] = 200  # the resident: red
    doc = doccam_frame()
    doc_frames: list[np.ndarray | None] = [None]  # no preview yet
    view.set_sources(lambda: face, lambda: np.full((120, 160, 3), 90, np.uint8))
    view.set_doccam_source(lambda: doc_frames[0])
    view.start_call("东湖社区居委会 一体机01")
    view.set_state(CallState.CONNECTED)
    pane = view.doccam
    qtbot.waitUntil(lambda: view.remote.frames_painted > 0, timeout=3000)
    assert pane.video.placeholder_text() == "等待文件画面"
    assert not pane.video.has_frame()

    doc_frames[0] = doc
    qtbot.waitUntil(lambda: pane.video.frames_painted > 0, timeout=3000)
    qtbot.waitUntil(lambda: pane.video.outline_corners is not None, timeout=3000)
    found = pane.video.outline_corners
    assert found is not None
    assert float(np.abs(found - CORNERS).max()) < 6.0  # the outline is where the page is
    # Picture-in-picture: inside the big video's bottom-right corner, the call view not grown.
    geo = pane.geometry()
    assert pane.parent() is view.remote
    assert geo.right() < view.remote.width() and geo.bottom() < view.remote.height()
    assert geo.left() > view.remote.width() // 2 and geo.top() > view.remote.height() // 2
    assert view.minimumSizeHint().height() <= 1080
    assert pane.capture_button.isVisible() and pane.swap_button.isVisible()
    assert pane.capture_button.text() == "拍照" and pane.swap_button.text() == "放大"
    save_screenshot(view, test_output / "console-doccam-pip.png")

    # 放大: the document camera fills the call view, the resident goes small.
    pane.swap_button.click()
    assert pane.swapped and pane.doccam_view is view.remote
    assert pane.swap_button.text() == "缩小" and pane.title.text() == "居民画面"
    qtbot.waitUntil(lambda: view.remote.outline_corners is not None, timeout=3000)
    qtbot.waitUntil(lambda: pane.video.frames_painted > 1, timeout=3000)
    assert pane.video.outline_corners is None  # the resident's video is not outlined
    save_screenshot(view, test_output / "console-doccam-big.png")

    # 拍照 asks for a page exactly as 拍摄材料 does.
    asked: list[bool] = []
    view.materials.capture_requested.connect(lambda: asked.append(True))
    pane.capture_button.click()
    assert asked == [True]

    # The call ends: the resident is big again and the preview is gone.
    view.end_call()
    assert not pane.swapped and pane.doccam_view is pane.video
    assert not pane.video.has_frame()


def test_no_page_no_outline_and_english(qtbot) -> None:  # type: ignore[no-untyped-def]
    i18n.set_language("en")
    view = CallView()
    qtbot.addWidget(view)
    view.resize(1200, 790)
    view.show()
    empty = np.full((540, 960, 3), 70, np.uint8)  # the desk, no page
    view.set_doccam_source(lambda: empty)
    pane = view.doccam
    qtbot.waitUntil(lambda: pane.video.frames_painted > 0, timeout=3000)
    qtbot.wait(400)
    assert pane.video.outline_corners is None and pane.video.outlines_found == 0
    assert pane.capture_button.text() == "Capture"
    assert pane.swap_button.text() == "Enlarge"


def test_pip_shrinks_over_a_narrow_video(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = CallView()
    qtbot.addWidget(view)
    view.resize(1900, 1000)
    view.show()
    pane = view.doccam
    qtbot.waitUntil(lambda: pane.video.width() == 256, timeout=3000)
    view.resize(800, 790)  # the side columns keep their width: the video gets narrow
    qtbot.waitUntil(lambda: pane.video.width() < 256, timeout=3000)
    assert 160 <= pane.video.width() <= max(160, 0.4 * view.remote.width() + 1)
    assert pane.video.height() == round(pane.video.width() * 9 / 16)
    assert pane.geometry().right() < view.remote.width()
