"""Embedded TrueType fonts for documents, with per-character coverage and fallbacks.

reportlab silently drops a character its font lacks, and its built-in CID fonts are
not embedded (printed through Ghostscript, digits and Latin letters vanished). So every
document uses embedded TrueType fonts only, and every character of every field is
looked up in the primary font, then in each fallback in turn; a character no font has
raises `GlyphMissing` naming the character and the field. Rare name characters (生僻字)
are why the fallbacks exist: WenQuanYi Zen Hei covers CJK Ext-A, HanaMin A/B cover Ext-B.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

log = logging.getLogger(__name__)

_FONT_DIR = Path("/usr/share/fonts/truetype")


@dataclass(frozen=True)
class FontSpec:
    """One TrueType font file (a `.ttc` collection needs `subfont_index`)."""

    name: str
    path: Path
    subfont_index: int = 0


PRIMARY = FontSpec("WQYMicroHei", _FONT_DIR / "wqy" / "wqy-microhei.ttc", 0)
FALLBACKS = (
    FontSpec("WQYZenHei", _FONT_DIR / "wqy" / "wqy-zenhei.ttc", 0),
    FontSpec("HanaMinA", _FONT_DIR / "hanazono" / "HanaMinA.ttf"),
    FontSpec("HanaMinB", _FONT_DIR / "hanazono" / "HanaMinB.ttf"),
)

# Characters that lay out text rather than draw a glyph; they never need coverage.
_LAYOUT_CHARS = frozenset("\n")


class DocumentError(Exception):
    """Base class of every error shared.documents raises."""


class FontUnavailable(DocumentError):
    """The primary document font cannot be loaded (package missing or file unreadable)."""


class LayoutOverflow(DocumentError):
    """The content does not fit the layout (too many items for one page)."""


class GlyphMissing(DocumentError):
    """A character that no document font covers: the document is refused, never printed short."""

    def __init__(self, char: str, field: str) -> None:
        self.char = char
        self.field = field
        super().__init__(
            f"no document font has the character {char!r} (U+{ord(char):04X}) in field {field!r}"
        )


class FontSet:
    """The primary font and its fallbacks, registered once with reportlab.

    `runs(text, field)` splits text into (font name, substring) runs, choosing for each
    character the first font that covers it. Thread-safe: the hub may render from a pool.
    """

    def __init__(self, primary: FontSpec = PRIMARY, fallbacks: tuple[FontSpec, ...] = FALLBACKS):
        loaded_primary = _register(primary, required=True)
        assert loaded_primary is not None  # required=True raises instead of returning None
        self.primary = loaded_primary
        self._fonts: list[tuple[str, frozenset[int]]] = [self.primary]
        for spec in fallbacks:
            loaded = _register(spec, required=False)
            if loaded is not None:
                self._fonts.append(loaded)
        # Per-character memo: most documents repeat the same few hundred characters.
        self._choice: dict[str, str] = {}

    @property
    def primary_name(self) -> str:
        """The reportlab name of the primary font."""
        return self.primary[0]

    @property
    def names(self) -> tuple[str, ...]:
        """Every loaded font, primary first."""
        return tuple(name for name, _ in self._fonts)

    def font_for(self, char: str, field: str) -> str:
        """The first font that covers `char`; `GlyphMissing` when none does."""
        name = self._choice.get(char)
        if name is not None:
            return name
        code = ord(char)
        for name, covered in self._fonts:
            if code in covered:
                self._choice[char] = name
                return name
        raise GlyphMissing(char, field)

    def check(self, text: str, field: str) -> None:
        """Raise `GlyphMissing` for the first character of `text` no font covers."""
        for char in text:
            if char not in _LAYOUT_CHARS:
                self.font_for(char, field)

    def runs(self, text: str, field: str) -> list[tuple[str, str]]:
        """`text` as consecutive (font name, substring) runs."""
        result: list[tuple[str, str]] = []
        current = ""
        start = 0
        for i, char in enumerate(text):
            name = self.font_for(char, field)
            if name != current:
                if i > start:
                    result.append((current, text[start:i]))
                current, start = name, i
        if text:
            result.append((current, text[start:]))
        return result

    def width(self, text: str, size: float, field: str) -> float:
        """The drawn width of `text` at `size` points, across fallback runs."""
        return sum(
            pdfmetrics.stringWidth(part, name, size) for name, part in self.runs(text, field)
        )


_lock = threading.Lock()
_registered: dict[str, tuple[str, frozenset[int]]] = {}


def _register(spec: FontSpec, *, required: bool) -> tuple[str, frozenset[int]] | None:
    # Registration parses the whole font (about 100 ms for Micro Hei): once per process.
    with _lock:
        if spec.name in _registered:
            return _registered[spec.name]
        try:
            font = TTFont(spec.name, str(spec.path), subfontIndex=spec.subfont_index)
        except Exception as exc:  # reportlab raises bare TTFError/OSError/struct.error
            if required:
                raise FontUnavailable(f"document font {spec.path} unusable: {exc}") from exc
            log.warning("fallback font %s unusable, skipped: %s", spec.path, exc)
            return None
        pdfmetrics.registerFont(font)
        covered = frozenset(font.face.charToGlyph)
        _registered[spec.name] = (spec.name, covered)
        return _registered[spec.name]


_default: FontSet | None = None


def default_fonts() -> FontSet:
    """The process-wide font set (primary Micro Hei plus every fallback installed)."""
    global _default  # noqa: PLW0603 - fonts are registered once per process
    with _lock:
        existing = _default
    if existing is None:
        existing = FontSet()
        with _lock:
            _default = existing
    return existing
