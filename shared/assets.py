"""Where the non-code data lives (themes, translations, calendars, demo media)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

_REPO_ASSETS = Path(__file__).resolve().parent.parent / "assets"
# Where the Debian package (vw-common) puts them: in the virtual environment's data folder,
# since an installed `shared` sits in site-packages with no assets beside it.
_INSTALLED_ASSETS = Path(sys.prefix) / "share" / "vw" / "assets"


def assets_dir() -> Path:
    """The assets folder: `$VW_ASSETS_DIR` when set, else the checkout's, else the installed one."""
    override = os.environ.get("VW_ASSETS_DIR")
    if override:
        return Path(override)
    return _REPO_ASSETS if _REPO_ASSETS.is_dir() else _INSTALLED_ASSETS
