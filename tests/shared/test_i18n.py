"""shared.i18n: lookups, formatting, fallback to Chinese and to the key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import i18n
from shared.assets import assets_dir


@pytest.fixture(autouse=True)
def _reset_language() -> Iterator[None]:
    i18n.clear_cache()
    yield
    i18n.set_language("zh_CN")
    i18n.clear_cache()


def test_default_is_chinese() -> None:
    assert i18n.current_language() == "zh_CN"
    assert i18n.tr("common", "video.waiting") == "等待视频…"


def test_english() -> None:
    i18n.set_language("en")
    assert i18n.tr("common", "video.waiting") == "Waiting for video…"


def test_format_arguments() -> None:
    assert i18n.tr("kiosk", "waiting.position", position=3) == "第 3 位"
    i18n.set_language("en")
    assert i18n.tr("kiosk", "waiting.position", position=3) == "Number 3 in line"


def test_missing_key_falls_back_to_key() -> None:
    assert i18n.tr("common", "no.such.key") == "no.such.key"
    assert i18n.tr("no_such_domain", "x") == "x"


def test_english_falls_back_to_chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "i18n").mkdir()
    (tmp_path / "i18n" / "demo.zh_CN.json").write_text(
        json.dumps({"a": "甲", "b": "乙"}), encoding="utf-8"
    )
    (tmp_path / "i18n" / "demo.en.json").write_text(json.dumps({"a": "A"}), encoding="utf-8")
    monkeypatch.setenv("VW_ASSETS_DIR", str(tmp_path))
    i18n.set_language("en")
    assert i18n.tr("demo", "a") == "A"
    assert i18n.tr("demo", "b") == "乙"


def test_bad_placeholder_does_not_raise() -> None:
    # A missing format argument gives the raw text, never an exception.
    assert "{position}" in i18n.tr("kiosk", "waiting.position", other=1)


def test_unknown_language_refused() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        i18n.set_language("fr")


@pytest.mark.parametrize("domain", ["common", "kiosk"])
def test_catalogues_have_the_same_keys(domain: str) -> None:
    zh = json.loads((assets_dir() / "i18n" / f"{domain}.zh_CN.json").read_text(encoding="utf-8"))
    en = json.loads((assets_dir() / "i18n" / f"{domain}.en.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en)
