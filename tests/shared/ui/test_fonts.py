"""shared.ui.fonts: a CJK font is installed and Chinese renders as real glyphs, not boxes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import QApplication

from shared.ui import fonts
from shared.ui.fonts import FontNotFoundError, install_cjk_font


def _render(text: str, family: str) -> QImage:
    image = QImage(64, 64, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    font = QFont(family)
    font.setPixelSize(48)
    painter.setFont(font)
    painter.setPen(QColor("black"))
    painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return image


def _ink(image: QImage) -> int:
    return sum(
        1
        for y in range(image.height())
        for x in range(image.width())
        if image.pixelColor(x, y).lightness() < 128
    )


def test_font_installed_and_renders_chinese(qapp: QApplication) -> None:
    family = install_cjk_font(qapp)
    assert family in QFontDatabase.families()
    assert qapp.font().family() == family
    metrics = QFontMetrics(QFont(family))
    for char in "开始办理排队中挂断":
        assert metrics.inFontUcs4(ord(char)), char
    first, second = _render("办", family), _render("理", family)
    assert _ink(first) > 30 and _ink(second) > 30
    # Missing glyphs all draw the same box; real glyphs differ.
    assert first != second


def test_missing_font_is_a_clear_error(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "CJK_FONT_FILES", ("/nonexistent/font.ttc",))
    monkeypatch.delenv(fonts.CJK_FONT_ENV, raising=False)
    with pytest.raises(FontNotFoundError, match="fonts-wqy-microhei"):
        install_cjk_font(qapp)


def test_qt_label_renderer_draws_chinese(qapp: QApplication) -> None:
    from shared.ui.label_renderer import qt_label_renderer  # noqa: PLC0415

    install_cjk_font(qapp)
    mask = qt_label_renderer("居民", 32)
    assert mask is not None and mask.shape[0] == 32 and mask.dtype.name == "uint8"
    assert (mask > 128).sum() > 50
    other = qt_label_renderer("工作人员", 32)
    assert other is not None and other.shape[1] > mask.shape[1]
    assert qt_label_renderer("  ", 32) is None
