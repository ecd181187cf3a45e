"""Qt test set-up shared by the widget tests: an event loop, the themed kiosk, the styled console.

tests/kiosk/conftest.py provides `loop` and `themed` to every kiosk test; elsewhere a module
imports the fixtures it needs (`from tests.support.qt_helpers import themed_fixture  # noqa: F401`).
`styled_app` is autouse, so it styles every test of a module that imports it (no conftest
provides it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication

from shared import i18n
from shared.ui.fonts import install_cjk_font
from shared.ui.theme import apply_theme


@pytest.fixture(name="loop")
def loop_fixture() -> Iterator[asyncio.AbstractEventLoop]:
    """A private event loop for tests that drive Qt and asyncio by hand."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(name="themed")
def themed_fixture(qapp: QApplication) -> Iterator[QApplication]:
    """The kiosk's theme and CJK font, Chinese; the old style sheet and Chinese again after."""
    old = qapp.styleSheet()
    apply_theme(qapp, "default", font_family=install_cjk_font(qapp))
    i18n.set_language("zh_CN")
    yield qapp
    qapp.setStyleSheet(old)
    i18n.set_language("zh_CN")  # a test may have switched to English


@pytest.fixture(name="styled_app", autouse=True)
def styled_app_fixture(qapp: QApplication) -> Iterator[QApplication]:
    """The console's desktop theme and CJK font, Chinese before and after each test."""
    family = install_cjk_font(qapp)
    apply_theme(qapp, "desktop", font_family=family)
    i18n.set_language("zh_CN")
    yield qapp
    i18n.set_language("zh_CN")
