"""shared.assets: the checkout's assets in a clone, the package's beside the venv when installed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from shared import assets


def test_checkout_assets_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VW_ASSETS_DIR", raising=False)
    assert assets.assets_dir() == Path(assets.__file__).resolve().parent.parent / "assets"
    assert (assets.assets_dir() / "calendar" / "cn_workdays.json").is_file()


def test_installed_assets_without_a_checkout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # An installed `shared` lives in site-packages with no assets/ beside it.
    monkeypatch.delenv("VW_ASSETS_DIR", raising=False)
    monkeypatch.setattr(assets, "_REPO_ASSETS", tmp_path / "site-packages" / "assets")
    assert assets.assets_dir() == Path(sys.prefix) / "share" / "vw" / "assets"


def test_environment_overrides_both(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VW_ASSETS_DIR", str(tmp_path))
    assert assets.assets_dir() == tmp_path
