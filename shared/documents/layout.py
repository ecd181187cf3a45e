"""Drawing primitives for documents: text in fallback-font runs, wrapping, QR codes.

Every string goes through `FontSet.runs`, so a character is drawn in the first font
that has it and a character no font has stops the document (`GlyphMissing`).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from reportlab.graphics.barcode import qrencoder
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from shared.documents.fonts import FontSet
from shared.documents.models import PaperSize

PAGE_SIZES: dict[PaperSize, tuple[float, float]] = {PaperSize.A4: A4, PaperSize.A5: A5}

# Words of Latin letters and digits stay together when a line wraps; CJK breaks anywhere.
_TOKENS = re.compile(r"[A-Za-z0-9@._:/+\-]+|\s|.", re.DOTALL)
# Punctuation that must not begin a line (a light form of 禁则).
_NO_LINE_START = frozenset("，。、；：！？）》」』,.;:!?)%")

INK = (0.1, 0.1, 0.1)
MUTED = (0.38, 0.38, 0.38)
RULE = (0.72, 0.72, 0.72)


class Anchor(Enum):
    """Which end of the text `x` refers to."""

    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True)
class SignatureField:
    """Where a named signature goes: page (from 0) and box in PDF points, origin bottom-left."""

    name: str
    label: str
    page: int
    x: float
    y: float
    width: float
    height: float


def new_canvas(
    buffer: object, paper: PaperSize, title: str, created: datetime | None, font: str
) -> Canvas:
    """A canvas for one document; with `created` the output is byte-for-byte reproducible."""
    # The initial font is ours so no unembedded Helvetica is referenced by the page.
    canvas = Canvas(
        buffer,
        pagesize=PAGE_SIZES[paper],
        invariant=created is not None,
        initialFontName=font,
    )
    if created is not None:
        # Invariant mode pins the document id and subset names; the date is ours to set.
        stamp = canvas._doc._timeStamp
        utc = created.astimezone(UTC) if created.tzinfo else created
        stamp.t = utc.replace(tzinfo=UTC).timestamp()
        stamp.lt = utc.timetuple()
        stamp.YMDhms = tuple(stamp.lt)[:6]
    canvas.setTitle(title)
    canvas.setAuthor("Remote Virtual Window")
    canvas.setCreator("shared.documents")
    return canvas


class Sheet:
    """One document's drawing surface: paper metrics plus font-aware text helpers."""

    def __init__(self, canvas: Canvas, fonts: FontSet, paper: PaperSize) -> None:
        self.canvas = canvas
        self.fonts = fonts
        self.paper = paper
        self.width, self.height = PAGE_SIZES[paper]
        # A5 keeps text large enough for elderly readers: shrink less than the paper does.
        self.scale = 1.0 if paper is PaperSize.A4 else 0.8
        self.margin = (20 if paper is PaperSize.A4 else 12) * mm
        self.page = 0
        self._font: tuple[str, float] = ("", 0.0)
        self._color: tuple[float, float, float] | None = None

    @classmethod
    def new(
        cls, buffer: object, fonts: FontSet, paper: PaperSize, title: str, created: datetime | None
    ) -> Sheet:
        """A sheet on a fresh canvas for one document (see `new_canvas`)."""
        return cls(new_canvas(buffer, paper, title, created, fonts.primary_name), fonts, paper)

    @property
    def left(self) -> float:
        """X of the left margin."""
        return self.margin

    @property
    def right(self) -> float:
        """X of the right margin."""
        return self.width - self.margin

    @property
    def content_width(self) -> float:
        """Width between the margins."""
        return self.width - 2 * self.margin

    def size(self, points: float) -> float:
        """A font size or length scaled for the paper."""
        return points * self.scale

    def new_page(self) -> None:
        """Finish the current page and start the next."""
        self.canvas.showPage()
        self.page += 1
        self._font, self._color = ("", 0.0), None  # a new page starts from defaults

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float,
        field: str,
        *,
        anchor: Anchor = Anchor.LEFT,
        color: tuple[float, float, float] = INK,
    ) -> float:
        """Draw one line at baseline `y`; returns its width (0 when not needed for anchoring)."""
        runs = self.fonts.runs(text, field)
        canvas = self.canvas
        width = 0.0
        if anchor is not Anchor.LEFT or len(runs) > 1:
            width = sum(canvas.stringWidth(part, name, size) for name, part in runs)
            if anchor is Anchor.CENTER:
                x -= width / 2
            elif anchor is Anchor.RIGHT:
                x -= width
        if color != self._color:
            canvas.setFillColorRGB(*color)
            self._color = color
        for name, part in runs:
            # Font changes cost a PDF operator each: only emit them when the font changes.
            if (name, size) != self._font:
                canvas.setFont(name, size)
                self._font = (name, size)
            canvas.drawString(x, y, part)
            if len(runs) > 1:
                x += canvas.stringWidth(part, name, size)
        return width

    def wrap(self, text: str, size: float, width: float, field: str) -> list[str]:
        """Split `text` into lines no wider than `width` (explicit newlines kept)."""
        if "\n" not in text and self.fonts.width(text, size, field) <= width:
            return [text]  # the common case: one short line
        lines: list[str] = []
        for paragraph in text.split("\n"):
            line, line_width = "", 0.0
            for token in _TOKENS.findall(paragraph):
                token_width = self.fonts.width(token, size, field)
                fits = line_width + token_width <= width
                if fits or not line or token in _NO_LINE_START:
                    line, line_width = line + token, line_width + token_width
                    continue
                lines.append(line.rstrip())
                line = "" if token.isspace() else token
                line_width = 0.0 if token.isspace() else token_width
            lines.append(line.rstrip())
        return lines

    def paragraph(
        self,
        x: float,
        y: float,
        text: str,
        size: float,
        *,
        width: float,
        field: str,
        color: tuple[float, float, float] = INK,
    ) -> float:
        """Draw wrapped text from baseline `y` down; returns the y below the last line."""
        leading = size * 1.45
        for line in self.wrap(text, size, width, field):
            self.text(x, y, line, size, field, color=color)
            y -= leading
        return y

    def header(self, org: str, title: str, title_size: float) -> float:
        """The organisation line, the centred title and a rule; returns the y below the rule."""
        y = self.height - self.margin - self.size(10)
        self.text(self.width / 2, y, org, self.size(10), "org", anchor=Anchor.CENTER, color=MUTED)
        y -= self.size(30)
        self.text(self.width / 2, y, title, self.size(title_size), "title", anchor=Anchor.CENTER)
        y -= self.size(14)
        self.rule(y)
        return y

    def label_rows(
        self,
        y: float,
        rows: list[tuple[str, str, str]],
        label_w: float,
        value_w: float,
        size: float,
    ) -> float:
        """(label, value, field) rows, the value wrapped beside its label; returns the next y."""
        for label, value, field in rows:
            self.text(self.left, y, label, size, field, color=MUTED)
            y = self.paragraph(
                self.left + label_w, y, value, size, width=value_w, field=field
            ) - self.size(3)
        return y

    def rule(self, y: float, x0: float | None = None, x1: float | None = None) -> None:
        """A thin horizontal line across the content width (or from x0 to x1)."""
        self.canvas.setStrokeColorRGB(*RULE)
        self.canvas.setLineWidth(0.6)
        self.canvas.line(self.left if x0 is None else x0, y, self.right if x1 is None else x1, y)

    def box(self, x: float, y: float, w: float, h: float) -> None:
        """A thin rectangle, origin bottom-left."""
        self.canvas.setStrokeColorRGB(*RULE)
        self.canvas.setLineWidth(0.8)
        self.canvas.rect(x, y, w, h, stroke=1, fill=0)

    def qr(self, payload: str, x: float, y: float, side: float) -> None:
        """A QR code (level M, with its quiet zone) in a `side`-point square at x, y."""
        draw_qr(self.canvas, payload, x, y, side)
        self._color = (0.0, 0.0, 0.0)


def draw_qr(canvas: Canvas, payload: str, x: float, y: float, side: float) -> None:
    """Draw a QR code (level M, 4-module quiet zone) in a `side`-point square, origin bottom-left.

    Drawn straight onto the canvas as one path: going through reportlab.graphics would
    reference an unembedded Helvetica in the page resources.
    """
    qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    qr.addData(payload)
    qr.make()
    count = qr.getModuleCount()
    box = side / (count + 8)
    path = canvas.beginPath()
    for r, row in enumerate(qr.modules):
        c = 0
        for dark, group in itertools.groupby(bool(v) for v in row):
            run = len(list(group))
            if dark:
                path.rect(x + (c + 4) * box, y + side - (r + 5) * box, run * box, box)
            c += run
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)
