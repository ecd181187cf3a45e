"""The kiosk's touch widgets: a centred label and a big button, made one way for every page.

Sizes are set on the widget itself (not only in the theme) so an elderly finger
still finds a big target if the style sheet is missing.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton


def touch_label(text: str = "", role: str | None = None, *, wrap: bool = True) -> QLabel:
    """A centred label with an optional theme role ("title", "muted", "huge", ...)."""
    widget = QLabel(text)
    widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
    widget.setWordWrap(wrap)
    if role:
        widget.setProperty("role", role)
    return widget


def touch_button(
    text: str, role: str | None = None, height: int = 96, *, width: int = 0, name: str = ""
) -> QPushButton:
    """A big touch button; `width` and `name` (object name) are set only when given."""
    widget = QPushButton(text)
    if name:
        widget.setObjectName(name)
    # a screen reader reads a two-line caption as one phrase
    widget.setAccessibleName(text.replace("\n", " "))
    if width:
        widget.setMinimumWidth(width)
    widget.setMinimumHeight(height)
    if role:
        widget.setProperty("role", role)
    return widget
