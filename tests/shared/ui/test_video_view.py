"""shared.ui.video_view: newest frame painted, placeholder and overlay, bad frames ignored."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from shared.ui.fonts import install_cjk_font
from shared.ui.screenshot import save_screenshot
from shared.ui.video_view import VideoView, frame_to_qimage


def _frame(rgb: tuple[int, int, int], w: int = 160, h: int = 120) -> np.ndarray:
    frame = np.zeros((h, w, 3), dtype=np.uint8)
    frame[:, :] = rgb
    return frame


def test_frame_to_qimage_is_an_independent_copy() -> None:
    frame = _frame((10, 200, 30))
    image = frame_to_qimage(frame)
    frame[:, :] = 0
    colour = image.pixelColor(5, 5)
    assert (colour.red(), colour.green(), colour.blue()) == (10, 200, 30)


def test_paints_newest_frame_only(qtbot: QtBot, qapp: QApplication, test_output: Path) -> None:
    install_cjk_font(qapp)
    view = VideoView(placeholder="等待视频…", accessible_name="远端视频")
    qtbot.addWidget(view)
    view.resize(400, 200)
    view.show()
    frames = [_frame((255, 0, 0)), _frame((0, 0, 255))]
    current: list[np.ndarray | None] = [None]
    view.set_frame_source(lambda: current[0])
    qtbot.wait(100)
    assert view.frames_painted == 0
    save_screenshot(view, test_output / "ui-video-placeholder.png")

    # Two frames arrive between ticks: only the second is painted.
    current[0] = frames[0]
    current[0] = frames[1]
    qtbot.waitUntil(lambda: view.frames_painted == 1, timeout=2000)
    qtbot.wait(200)  # the same frame is not painted again
    assert view.frames_painted == 1
    image = view.grab().toImage()
    centre = image.pixelColor(200, 100)
    assert (centre.red(), centre.blue()) == (0, 255)
    # Aspect ratio kept: a 4:3 frame in a 2:1 view leaves dark bars at the sides.
    assert image.pixelColor(5, 100).blue() < 60

    current[0] = _frame((0, 255, 0))
    qtbot.waitUntil(lambda: view.frames_painted == 2, timeout=2000)
    view.set_overlay_text("正在重新连接…")
    assert view.overlay_text() == "正在重新连接…"
    save_screenshot(view, test_output / "ui-video-overlay.png")
    assert view.accessibleName() == "远端视频"


def test_bad_frames_and_failing_getter_are_ignored(qtbot: QtBot) -> None:
    view = VideoView()
    qtbot.addWidget(view)
    view.show()
    view.set_frame_source(lambda: np.zeros((10, 10), dtype=np.float32))
    qtbot.wait(150)
    assert view.frames_painted == 0 and not view.has_frame()

    def broken() -> np.ndarray:
        raise RuntimeError("camera gone")

    view.set_frame_source(broken)
    qtbot.wait(150)
    assert view.frames_painted == 0
