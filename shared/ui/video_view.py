"""A widget that shows the newest frame of a video stream, and nothing older.

The widget polls a frame getter on a timer (~15 Hz) instead of being pushed
frames, so a fast sender can never build a backlog in the GUI: whatever
arrived between two ticks is skipped and only the newest frame is painted.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QRect, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

FrameGetter = Callable[[], "np.ndarray | None"]
"""Returns the newest RGB uint8 frame (H x W x 3), or None when there is none yet."""


def frame_to_qimage(frame: np.ndarray) -> QImage:
    """An independent QImage copy of an RGB uint8 H x W x 3 array."""
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 HxWx3 frame, got {frame.dtype} {frame.shape}")
    data = np.ascontiguousarray(frame)
    height, width, _ = data.shape
    image = QImage(data.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    # QImage borrows the numpy buffer; copy so the array may be freed or reused.
    return image.copy()


class VideoView(QWidget):
    """Paints the newest frame from a getter, aspect ratio kept, with placeholder/overlay text."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        placeholder: str = "",
        accessible_name: str = "video",
        fps: float = 15.0,
    ) -> None:
        super().__init__(parent)
        self._getter: FrameGetter | None = None
        self._image: QImage | None = None
        self._last_frame: np.ndarray | None = None
        self._placeholder = placeholder
        self._overlay: str | None = None
        self._pending_paint = False
        self.frames_painted = 0
        """Distinct frames painted so far."""
        self.setAccessibleName(accessible_name)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 120)
        self._timer = QTimer(self)
        self._timer.setInterval(max(10, int(1000 / fps)))
        self._timer.timeout.connect(self.poll)
        self._timer.start()

    # --- configuration -------------------------------------------------------

    def set_frame_source(self, getter: FrameGetter | None) -> None:
        """Take frames from `getter` from now on (None: show the placeholder)."""
        self._getter = getter
        self._last_frame = None
        if getter is None:
            self._image = None
            self.update()

    def set_placeholder_text(self, text: str) -> None:
        """Text shown while there is no frame."""
        self._placeholder = text
        self.update()

    def placeholder_text(self) -> str:
        """The text shown while there is no frame."""
        return self._placeholder

    def set_overlay_text(self, text: str | None) -> None:
        """Text drawn over the video (e.g. "reconnecting"); None removes it."""
        self._overlay = text or None
        self.update()

    def overlay_text(self) -> str | None:
        """The current overlay text, if any."""
        return self._overlay

    def clear(self) -> None:
        """Forget the last frame and show the placeholder again."""
        self._image = None
        self._last_frame = None
        self.update()

    def has_frame(self) -> bool:
        """Whether a frame is being shown."""
        return self._image is not None

    def sizeHint(self) -> QSize:
        """A 4:3 default."""
        return QSize(640, 480)

    # --- frames --------------------------------------------------------------

    def poll(self) -> None:
        """Fetch the newest frame and schedule a repaint if it is new (the timer calls this)."""
        if self._getter is None:
            return
        try:
            frame = self._getter()
        except Exception:  # a broken source must not stop the GUI
            frame = None
        if frame is None or frame is self._last_frame:
            return
        try:
            self._image = frame_to_qimage(frame)
        except ValueError:
            return
        self._last_frame = frame
        self._pending_paint = True
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Black background, the frame letterboxed, then placeholder or overlay text."""
        del event
        painter = QPainter(self)
        try:
            painter.fillRect(self.rect(), QColor("#101418"))
            if self._image is not None:
                target = self._fit(self._image.size())
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
                painter.drawImage(QRectF(target), self._image)
                if self._pending_paint:
                    self._pending_paint = False
                    self.frames_painted += 1
            elif self._placeholder:
                self._draw_text(painter, self.rect(), self._placeholder, QColor("#d0d6de"))
            if self._overlay:
                band_height = max(48, self.height() // 6)
                band = QRect(0, (self.height() - band_height) // 2, self.width(), band_height)
                painter.fillRect(band, QColor(0, 0, 0, 160))
                self._draw_text(painter, band, self._overlay, QColor("#ffffff"))
        finally:
            painter.end()

    def _fit(self, size: QSize) -> QRect:
        scaled = size.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - scaled.width()) // 2
        y = (self.height() - scaled.height()) // 2
        return QRect(x, y, scaled.width(), scaled.height())

    def _draw_text(self, painter: QPainter, rect: QRect, text: str, color: QColor) -> None:
        font = QFont(self.font())
        # Text scales with the view so it stays readable on a big face screen
        # and fits in the small self-view.
        font.setPixelSize(max(12, min(48, rect.height() // 3, rect.width() // 14)))
        painter.setFont(font)
        painter.setPen(color)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
