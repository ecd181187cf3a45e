"""Translated UI text, read from flat JSON catalogues (no Qt).

Each domain ("common", "kiosk", "console") has one file per language,
`assets/i18n/<domain>.<lang>.json`, mapping a key to its text. `tr()` looks a
key up in the current language, then in Chinese (the default and the most
complete catalogue), then gives the key itself so a missing text is visible
but never fatal.
"""

from __future__ import annotations

import json
import logging
from functools import cache

from shared.assets import assets_dir

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES = ("zh_CN", "en")

_current = DEFAULT_LANGUAGE


def set_language(lang: str) -> None:
    """Switch the language used by `tr()`; an unknown language is refused with a clear error."""
    global _current  # noqa: PLW0603 - one UI language per process, set once at start
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; use one of {', '.join(LANGUAGES)}")
    _current = lang


def current_language() -> str:
    """The language `tr()` currently uses."""
    return _current


@cache
def _catalogue(domain: str, lang: str) -> dict[str, str]:
    path = assets_dir() / "i18n" / f"{domain}.{lang}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, json.JSONDecodeError) as exc:
        log.error("translation file %s unreadable: %s", path, exc)
        return {}
    if not isinstance(data, dict):
        log.error("translation file %s is not a JSON object", path)
        return {}
    return {str(k): str(v) for k, v in data.items()}


def clear_cache() -> None:
    """Forget loaded catalogues (tests, or after the files changed)."""
    _catalogue.cache_clear()


def tr(domain: str, key: str, **fmt: object) -> str:
    """The text for `key` in `domain`, formatted with `fmt` (see module docstring)."""
    text = _catalogue(domain, _current).get(key)
    if text is None and _current != DEFAULT_LANGUAGE:
        text = _catalogue(domain, DEFAULT_LANGUAGE).get(key)
    if text is None:
        return key
    if not fmt:
        return text
    try:
        return text.format(**fmt)
    except (KeyError, IndexError, ValueError) as exc:
        # A translator's typo in a placeholder must not take the UI down.
        log.warning("translation %s.%s does not format: %s", domain, key, exc)
        return text
