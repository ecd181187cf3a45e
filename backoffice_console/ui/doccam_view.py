"""The document camera in the call view: a picture-in-picture over the resident's video.

The kiosk sends its document camera's preview as the call's second video track. The
pane shows it small in a corner of the big video, with the page outlined when one is
found (`shared.imaging.find_page` on at most a few frames a second of a 960-px preview:
a few milliseconds), a 拍照 button that sends the same `page.capture` as 拍摄材料, and
放大 / 缩小, which swaps the two videos so the officer can guide the page at full size.
The pane floats over the video, so the call view does not grow.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from shared.i18n import tr
from shared.imaging import find_page
from shared.ui.video_view import FrameGetter, VideoView

OUTLINE_INTERVAL_S = 0.25
"""At most four page searches a second: the outline follows the page, the GUI stays smooth."""

PIP_VIDEO = QSize(256, 144)
"""The small video at most; it shrinks to `PIP_SHARE` of a narrow big video (not below 160)."""
PIP_SHARE = 0.36
PIP_MARGIN = 12


class OutlinedVideoView(VideoView):
    """A VideoView that can outline the page found in its frames (`set_outline(True)`)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._outline = False
        self._corners: np.ndarray | None = None
        self._frame_size: QSize | None = None
        self._searched_at = 0.0
        self.outlines_found = 0
        """Frames in which a page was found (for tests and the autopilot)."""

    def set_outline(self, on: bool) -> None:
        """Look for the page in the frames and draw its outline (or stop doing so)."""
        self._outline = on
        self._corners = None
        self.update()

    @property
    def outline_corners(self) -> np.ndarray | None:
        """The page's corners (4 x 2, frame pixels) last found, or None."""
        return self._corners

    def set_frame_source(self, getter: FrameGetter | None) -> None:
        """As VideoView, with each new frame also looked at for the page outline."""
        self._corners = None
        if getter is None:
            super().set_frame_source(None)
            return

        def watched() -> np.ndarray | None:
            frame = getter()
            if frame is not None:
                self._look_for_page(frame)
            return frame

        super().set_frame_source(watched)

    def _look_for_page(self, frame: np.ndarray) -> None:
        if not self._outline:
            return
        now = time.monotonic()
        if now - self._searched_at < OUTLINE_INTERVAL_S:
            return
        self._searched_at = now
        corners = find_page(frame)
        self._frame_size = QSize(frame.shape[1], frame.shape[0])
        self._corners = None if corners is None else corners.as_array()
        if corners is not None:
            self.outlines_found += 1

    def paintEvent(self, event: QPaintEvent) -> None:
        """The video as VideoView paints it, then the page outline in green."""
        super().paintEvent(event)
        corners, size = self._corners, self._frame_size
        if not self._outline or corners is None or size is None or not self.has_frame():
            return
        target = _fit(size, self.size())
        sx, sy = target.width() / size.width(), target.height() / size.height()
        polygon = QPolygonF(
            [QPointF(target.x() + x * sx, target.y() + y * sy) for x, y in corners.tolist()]
        )
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(QPen(QColor("#2fd158"), max(2, self.width() // 240)))
            painter.drawPolygon(polygon)
        finally:
            painter.end()


def _fit(frame: QSize, box: QSize) -> QRect:
    """Where a frame of size `frame` lands, letterboxed, in a widget of size `box`."""
    scaled = frame.scaled(box, Qt.AspectRatioMode.KeepAspectRatio)
    return QRect(
        (box.width() - scaled.width()) // 2,
        (box.height() - scaled.height()) // 2,
        scaled.width(),
        scaled.height(),
    )


class DocCamPane(QFrame):
    """The small video with 拍照 and 放大/缩小, floating in a corner of `big` (the call's
    main video). Routes the resident's and the document camera's frames between the
    two views; emits `capture_requested` for 拍照."""

    capture_requested = Signal()

    def __init__(self, big: OutlinedVideoView) -> None:
        super().__init__(big)
        self.setObjectName("doccamPane")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#doccamPane { background-color: rgba(16, 20, 24, 215); border-radius: 8px; }"
            " #doccamPane QLabel { color: #e8edf2; font-weight: bold; }"
        )
        self.big = big
        self.swapped = False
        self._remote: FrameGetter | None = None
        self._doccam: FrameGetter | None = None
        self.title = QLabel(tr("doccam", "title"))
        self.video = OutlinedVideoView(
            placeholder=tr("doccam", "waiting"), accessible_name="document camera", fps=5.0
        )
        self.video.setObjectName("doccamVideo")
        self.video.setFixedSize(PIP_VIDEO)
        self.capture_button = QPushButton(tr("doccam", "capture"))
        self.capture_button.setObjectName("doccamCaptureButton")
        self.capture_button.setAccessibleName(tr("doccam", "capture"))
        self.capture_button.clicked.connect(self.capture_requested.emit)
        self.swap_button = QPushButton(tr("doccam", "swap.big"))
        self.swap_button.setObjectName("doccamSwapButton")
        self.swap_button.setAccessibleName(tr("doccam", "swap.accessible"))
        self.swap_button.clicked.connect(self.swap)
        buttons = QHBoxLayout()
        buttons.addWidget(self.capture_button, 1)
        buttons.addWidget(self.swap_button, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addWidget(self.video)
        layout.addLayout(buttons)
        big.installEventFilter(self)
        self.adjustSize()
        self._place()
        self._apply()

    # --- routing -----------------------------------------------------------------

    def set_remote(self, getter: FrameGetter | None) -> None:
        """Where the resident's video comes from."""
        self._remote = getter
        self._apply()

    def set_doccam(self, getter: FrameGetter | None) -> None:
        """Where the document camera's preview comes from."""
        self._doccam = getter
        self._apply()

    def swap(self) -> None:
        """放大 / 缩小: the document camera big and the resident small, or back."""
        self.swapped = not self.swapped
        self._apply()

    def reset(self) -> None:
        """A call starts or ends: the resident big again, both views cleared."""
        self.swapped = False
        self._apply()
        self.video.clear()

    @property
    def doccam_view(self) -> OutlinedVideoView:
        """Whichever view shows the document camera now."""
        return self.big if self.swapped else self.video

    def _apply(self) -> None:
        doc_view, face_view = (self.big, self.video) if self.swapped else (self.video, self.big)
        face_view.set_outline(False)
        face_view.set_frame_source(self._remote)
        face_view.set_placeholder_text(tr("console", "call.waiting_video"))
        doc_view.set_outline(True)
        doc_view.set_frame_source(self._doccam)
        doc_view.set_placeholder_text(tr("doccam", "waiting"))
        doc_view.clear()
        face_view.clear()
        self.title.setText(tr("doccam", "resident" if self.swapped else "title"))
        self.swap_button.setText(tr("doccam", "swap.small" if self.swapped else "swap.big"))

    # --- placement ---------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Follow the big video's size: stay in its bottom-right corner."""
        if watched is self.big and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self._place()
        return False

    def _place(self) -> None:
        # A narrow big video (the case panel beside it) keeps most of its picture free.
        width = max(160, min(PIP_VIDEO.width(), round(self.big.width() * PIP_SHARE)))
        size = QSize(width, round(width * PIP_VIDEO.height() / PIP_VIDEO.width()))
        if self.video.size() != size:
            self.video.setFixedSize(size)
        # Polished first: the theme's fonts and paddings decide the buttons' height.
        self.ensurePolished()
        for child in (self.title, self.capture_button, self.swap_button):
            child.ensurePolished()
        layout = self.layout()
        if layout is not None:
            layout.invalidate()
        hint = self.sizeHint().expandedTo(self.minimumSizeHint())
        x = max(0, self.big.width() - hint.width() - PIP_MARGIN)
        y = max(0, self.big.height() - hint.height() - PIP_MARGIN)
        self.setGeometry(x, y, hint.width(), hint.height())
        self.raise_()
