"""Renders Chinese labels for the synthetic camera with Qt (OpenCV's fonts are ASCII only)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import QApplication


def qt_label_renderer(text: str, height: int) -> np.ndarray | None:
    """`text` drawn white on black in the app font, `height` pixels high (H x W uint8 mask)."""
    if not text.strip() or height < 4:
        return None
    font = QFont(QApplication.font())
    font.setPixelSize(max(4, int(height * 0.8)))
    width = max(1, QFontMetrics(font).horizontalAdvance(text) + 4)
    image = QImage(width, height, QImage.Format.Format_Grayscale8)
    image.fill(QColor("black"))
    painter = QPainter(image)
    try:
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, text)
    finally:
        painter.end()
    stride = image.bytesPerLine()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height)
    return data.reshape(height, stride)[:, :width].copy()
