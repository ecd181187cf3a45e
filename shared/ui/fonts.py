"""The CJK font every window needs: Chinese must never render as empty boxes.

A kiosk image or a test container often has no fontconfig setup that Qt picks
up for Chinese, so the font file is registered with Qt directly and made the
application font.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

# Preferred first. Debian: fonts-wqy-microhei, fonts-wqy-zenhei, fonts-noto-cjk.
CJK_FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
CJK_FONT_ENV = "VW_CJK_FONT"
"""Set to a font file path to use that font before the built-in list."""


class FontNotFoundError(RuntimeError):
    """No CJK font file could be found or loaded."""


def _candidates() -> list[Path]:
    paths = [Path(p) for p in CJK_FONT_FILES]
    override = os.environ.get(CJK_FONT_ENV)
    if override:
        paths.insert(0, Path(override))
    return paths


def install_cjk_font(app: QApplication, point_size: int | None = None) -> str:
    """Register the first CJK font found, make it the app font, and return its family.

    Raises FontNotFoundError (after logging it loudly) when none can be loaded,
    because a UI full of boxes is worse than a clear failure at start.
    """
    del app  # the font database is process-wide; the app must merely exist
    for path in _candidates():
        if not path.is_file():
            continue
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id < 0:
            log.warning("Qt could not load font file %s", path)
            continue
        families = QFontDatabase.applicationFontFamilies(font_id)
        if not families:
            continue
        # A .ttc holds several faces; take the proportional one, not "Mono".
        family = next((f for f in families if "mono" not in f.lower()), families[0])
        font = QFont(family)
        if point_size is not None:
            font.setPointSize(point_size)
        QApplication.setFont(font)
        log.info("CJK font %s from %s", family, path)
        return family
    message = (
        "no CJK font found (install fonts-wqy-microhei or fonts-noto-cjk, "
        f"or set {CJK_FONT_ENV}); Chinese text would render as boxes"
    )
    log.critical(message)
    raise FontNotFoundError(message)
