"""Themes: one QSS template with `{{ token }}` placeholders, filled from a `Theme`.

A larger-text or high-contrast theme is a new set of values, not new code.
Widgets opt into styles with the dynamic property `role` (e.g. a button with
`setProperty("role", "danger")`); see `assets/themes/base.qss` for the roles.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QApplication

from shared.assets import assets_dir

_TOKEN = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class Theme:
    """The values a stylesheet is made from; sizes in pixels."""

    name: str = "default"
    background: str = "#f4f6f9"
    surface: str = "#ffffff"
    foreground: str = "#1d2733"
    muted: str = "#5b6775"
    border: str = "#c9d1db"
    accent: str = "#c8102e"  # government red, as on the service halls' signage
    accent_hover: str = "#a50d26"
    accent_text: str = "#ffffff"
    secondary: str = "#e6eaf0"
    secondary_text: str = "#1d2733"
    danger: str = "#d9480f"
    danger_text: str = "#ffffff"
    video_background: str = "#101418"
    font_family: str = "sans-serif"
    font_size: int = 24
    font_size_small: int = 18
    font_size_title: int = 40
    font_size_huge: int = 64
    button_height: int = 96
    button_font_size: int = 36
    radius: int = 16
    padding: int = 24

    def tokens(self) -> dict[str, str]:
        """Every field as a stylesheet token value (ints become `Npx`-ready numbers)."""
        return {f.name: str(getattr(self, f.name)) for f in dataclasses.fields(self)}


THEMES: dict[str, Theme] = {
    # Touch screens: big text, big hit targets (buttons >= 64 px).
    "default": Theme(),
    "large": Theme(
        name="large",
        font_size=32,
        font_size_small=24,
        font_size_title=52,
        font_size_huge=84,
        button_height=128,
        button_font_size=48,
        radius=20,
        padding=32,
    ),
    "high_contrast": Theme(
        name="high_contrast",
        background="#000000",
        surface="#000000",
        foreground="#ffffff",
        muted="#ffff00",
        border="#ffffff",
        accent="#ffff00",
        accent_hover="#ffd700",
        accent_text="#000000",
        secondary="#333333",
        secondary_text="#ffffff",
        font_size=32,
        font_size_title=52,
        font_size_huge=84,
        button_height=128,
        button_font_size=48,
    ),
    # The officer's desktop console: mouse and keyboard, normal sizes.
    "desktop": Theme(
        name="desktop",
        font_size=15,
        font_size_small=13,
        font_size_title=22,
        font_size_huge=32,
        button_height=36,
        button_font_size=15,
        radius=6,
        padding=8,
    ),
}


class ThemeError(Exception):
    """An unknown theme name or a template token the theme does not define."""


def get_theme(name: str) -> Theme:
    """The theme called `name` (see THEMES); unknown names raise ThemeError."""
    try:
        return THEMES[name]
    except KeyError:
        raise ThemeError(f"unknown theme {name!r}; known: {', '.join(THEMES)}") from None


def template_path() -> Path:
    """The QSS template file."""
    return assets_dir() / "themes" / "base.qss"


def render_qss(theme: Theme, template: str | None = None) -> str:
    """Fill the template's `{{ token }}` placeholders from `theme`."""
    text = template_path().read_text(encoding="utf-8") if template is None else template
    values = theme.tokens()

    def substitute(match: re.Match[str]) -> str:
        token = match.group(1)
        if token not in values:
            raise ThemeError(f"stylesheet token {token!r} is not a Theme field")
        return values[token]

    return _TOKEN.sub(substitute, text)


def apply_theme(app: QApplication, theme: Theme | str, font_family: str | None = None) -> Theme:
    """Render the stylesheet for `theme` (or its name) and set it on `app`; returns the theme."""
    chosen = get_theme(theme) if isinstance(theme, str) else theme
    if font_family:
        chosen = dataclasses.replace(chosen, font_family=f'"{font_family}"')
    app.setStyleSheet(render_qss(chosen))
    return chosen
