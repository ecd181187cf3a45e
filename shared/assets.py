"""Where the non-code data lives (themes, translations, demo media)."""

from __future__ import annotations

import os
from pathlib import Path

_REPO_ASSETS = Path(__file__).resolve().parent.parent / "assets"


def assets_dir() -> Path:
    """The assets folder: `$VW_ASSETS_DIR` when set (installed systems), else the checkout's."""
    override = os.environ.get("VW_ASSETS_DIR")
    return Path(override) if override else _REPO_ASSETS
