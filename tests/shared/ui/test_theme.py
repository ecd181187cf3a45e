"""shared.ui.theme: tokens are filled, unknown tokens and themes are refused."""

from __future__ import annotations

import re

import pytest
from PySide6.QtWidgets import QApplication, QPushButton

from shared.ui.theme import THEMES, Theme, ThemeError, apply_theme, get_theme, render_qss


@pytest.mark.parametrize("name", sorted(THEMES))
def test_every_theme_renders_without_leftover_tokens(name: str) -> None:
    qss = render_qss(get_theme(name))
    assert "{{" not in qss and "}}" not in qss
    assert f"min-height: {get_theme(name).button_height}px" in qss


def test_tokens_are_substituted() -> None:
    theme = Theme(background="#123456", font_size=31)
    qss = render_qss(theme, "QWidget { background: {{ background }}; font-size: {{font_size}}px; }")
    assert qss == "QWidget { background: #123456; font-size: 31px; }"


def test_unknown_token_is_an_error() -> None:
    with pytest.raises(ThemeError, match="nope"):
        render_qss(Theme(), "QWidget { color: {{ nope }}; }")


def test_unknown_theme_is_an_error() -> None:
    with pytest.raises(ThemeError, match="unknown theme"):
        get_theme("sparkly")


def test_touch_themes_have_big_buttons() -> None:
    for name in ("default", "large", "high_contrast"):
        assert get_theme(name).button_height >= 64
    assert get_theme("large").font_size > get_theme("default").font_size


def test_applied_theme_makes_buttons_tall(qapp: QApplication) -> None:
    old = qapp.styleSheet()
    try:
        apply_theme(qapp, "default", font_family="WenQuanYi Micro Hei")
        assert re.search(r'font-family: "WenQuanYi Micro Hei"', qapp.styleSheet())
        button = QPushButton("开始办理")
        button.ensurePolished()
        assert button.sizeHint().height() >= 64
    finally:
        qapp.setStyleSheet(old)
