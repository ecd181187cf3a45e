"""Saving a widget as an image (demo tour, tests, bug reports)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWidget


def save_screenshot(widget: QWidget, path: Path | str) -> Path:
    """Render `widget` (visible or not) into a PNG at `path`; returns the path.

    Raises OSError when the image cannot be written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not widget.grab().save(str(target)):
        raise OSError(f"could not write screenshot {target}")
    return target
