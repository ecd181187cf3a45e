"""Form pages with named signature fields whose positions are returned to the caller.

The text flows over as many pages as it needs; each signature box is kept whole on
one page. The caller (the kiosk's signature pad, a later round) places a signature
image into `RenderedDocument.signature_fields` by name.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from reportlab.lib.units import mm

from shared.documents.fonts import FontSet, default_fonts
from shared.documents.layout import MUTED, Anchor, Sheet, SignatureField
from shared.documents.models import FormDocument
from shared.documents.rendered import RenderedDocument, RenderOptions
from shared.i18n import tr


def _t(key: str, **fmt: object) -> str:
    return tr("documents", key, **fmt)


@dataclass(frozen=True)
class SignatureInk:
    """A signature as drawn on the pad: strokes of points in 0..1 (x right, y down), and when.

    Drawn as vector lines into its field, scaled to fit and centred, with `signed_at`
    printed as the field's date and time.
    """

    strokes: tuple[tuple[tuple[float, float], ...], ...]
    signed_at: datetime


def _check(form: FormDocument, fonts: FontSet) -> None:
    fonts.check(form.title, "title")
    for i, entry in enumerate(form.entries):
        fonts.check(entry.label, f"entries[{i}].label")
        fonts.check(entry.value, f"entries[{i}].value")
    for i, text in enumerate(form.paragraphs):
        fonts.check(text, f"paragraphs[{i}]")
    for spec in form.signatures:
        fonts.check(spec.label, f"signatures.{spec.name}")


class _Flow:
    """Keeps the cursor and starts a new page (with its footer) when the next block is too tall."""

    def __init__(self, sheet: Sheet, form: FormDocument) -> None:
        self.sheet = sheet
        self.form = form
        self.y = sheet.height - sheet.margin
        self.bottom = sheet.margin + sheet.size(24)

    def footer(self) -> None:
        sheet = self.sheet
        text = f"{self.form.form_id} · {_t('form.page', n=sheet.page + 1)}"
        sheet.text(
            sheet.width / 2,
            sheet.margin,
            text,
            sheet.size(8),
            "footer",
            anchor=Anchor.CENTER,
            color=MUTED,
        )

    def need(self, height: float) -> None:
        if self.y - height < self.bottom:
            self.footer()
            self.sheet.new_page()
            self.y = self.sheet.height - self.sheet.margin


def render_form(
    form: FormDocument,
    options: RenderOptions | None = None,
    fonts: FontSet | None = None,
    signatures: Mapping[str, SignatureInk] | None = None,
) -> RenderedDocument:
    """Render `form`; the result lists every signature field's page and box.

    `signatures` (field name -> ink) places signatures into their fields; an unknown
    field name is a `KeyError` naming the known ones.
    """
    options = options or RenderOptions()
    fonts = fonts or default_fonts()
    _check(form, fonts)
    buffer = io.BytesIO()
    sheet = Sheet.new(buffer, fonts, options.paper, form.title, options.created)
    s = sheet.size
    flow = _Flow(sheet, form)
    flow.y -= s(20)
    sheet.text(sheet.width / 2, flow.y, form.title, s(20), "title", anchor=Anchor.CENTER)
    flow.y -= s(18)
    info = f"{_t('form.case_number')} {form.case_number}    {_t('form.form_id')} {form.form_id}"
    sheet.text(sheet.width / 2, flow.y, info, s(9), "info", anchor=Anchor.CENTER, color=MUTED)
    flow.y -= s(10)
    sheet.rule(flow.y)
    flow.y -= s(20)

    size = s(11)
    leading = size * 1.45
    label_w = s(90)
    for i, entry in enumerate(form.entries):
        lines = sheet.wrap(
            entry.value or " ", size, sheet.content_width - label_w, f"entries[{i}].value"
        )
        flow.need(len(lines) * leading)
        sheet.text(sheet.left, flow.y, entry.label, size, f"entries[{i}].label", color=MUTED)
        for line in lines:
            sheet.text(sheet.left + label_w, flow.y, line, size, f"entries[{i}].value")
            flow.y -= leading
    if form.entries:
        flow.y -= s(8)

    for i, text in enumerate(form.paragraphs):
        for line in sheet.wrap(text, size, sheet.content_width, f"paragraphs[{i}]"):
            flow.need(leading)
            sheet.text(sheet.left, flow.y, line, size, f"paragraphs[{i}]")
            flow.y -= leading
        flow.y -= s(6)

    ink = dict(signatures or {})
    unknown = set(ink) - {spec.name for spec in form.signatures}
    if unknown:
        known = ", ".join(spec.name for spec in form.signatures)
        raise KeyError(f"no signature field {sorted(unknown)[0]!r} (fields: {known})")
    fields = _signatures(sheet, flow, form, ink)
    flow.footer()
    sheet.canvas.showPage()
    sheet.canvas.save()
    return RenderedDocument(
        "form", buffer.getvalue(), options.paper, sheet.page + 1, form.title, tuple(fields)
    )


def _signatures(
    sheet: Sheet, flow: _Flow, form: FormDocument, ink: Mapping[str, SignatureInk]
) -> list[SignatureField]:
    """Draw the signature boxes and return where each one is."""
    s = sheet.size
    # Signature boxes: two per row, each kept whole on one page.
    box_w = (sheet.content_width - s(16)) / 2
    box_h = 26 * mm * sheet.scale
    block_h = box_h + s(36)
    fields: list[SignatureField] = []
    flow.y -= s(10)
    for n, spec in enumerate(form.signatures):
        column = n % 2
        if column == 0:
            flow.need(block_h)
        x = sheet.left + column * (box_w + s(16))
        label_y = flow.y
        sheet.text(x, label_y, spec.label, s(10), f"signatures.{spec.name}")
        box_y = label_y - s(8) - box_h
        sheet.box(x, box_y, box_w, box_h)
        sheet.text(x + s(4), box_y + s(4), _t("form.sign_here"), s(7), "sign_here", color=MUTED)
        sheet.text(x, box_y - s(14), f"{_t('form.date')}:", s(9), "date", color=MUTED)
        signed = ink.get(spec.name)
        if signed is not None:
            _draw_ink(sheet, signed, (x, box_y, box_w, box_h))
            stamp = signed.signed_at.strftime("%Y-%m-%d %H:%M")
            sheet.text(x + s(34), box_y - s(14), stamp, s(9), "signed_at")
        elif form.dated is not None:
            sheet.text(x + s(34), box_y - s(14), form.dated.isoformat(), s(9), "dated")
        fields.append(SignatureField(spec.name, spec.label, sheet.page, x, box_y, box_w, box_h))
        if column == 1 or n == len(form.signatures) - 1:
            flow.y -= block_h
    return fields


def _draw_ink(sheet: Sheet, ink: SignatureInk, box: tuple[float, float, float, float]) -> None:
    """Draw `ink` into `box` (x, y, w, h), scaled uniformly to fit a margin and centred."""
    x, y, w, h = box
    points = [p for stroke in ink.strokes for p in stroke]
    if not points:
        return
    min_x, max_x = min(p[0] for p in points), max(p[0] for p in points)
    min_y, max_y = min(p[1] for p in points), max(p[1] for p in points)
    pad = sheet.size(6)
    # One scale for both axes: the signature keeps its shape.
    scale = min((w - 2 * pad) / max(max_x - min_x, 1e-6), (h - 2 * pad) / max(max_y - min_y, 1e-6))
    ox = x + (w - (max_x - min_x) * scale) / 2
    oy = y + (h + (max_y - min_y) * scale) / 2  # the pad's y grows downwards
    canvas = sheet.canvas
    canvas.saveState()
    canvas.setStrokeColorRGB(0.05, 0.1, 0.35)
    canvas.setLineWidth(max(1.0, sheet.size(1.4)))
    canvas.setLineCap(1)
    canvas.setLineJoin(1)
    for stroke in ink.strokes:
        if not stroke:
            continue
        path = canvas.beginPath()
        px, py = stroke[0]
        path.moveTo(ox + (px - min_x) * scale, oy - (py - min_y) * scale)
        if len(stroke) == 1:  # a dot
            path.lineTo(ox + (px - min_x) * scale + 0.5, oy - (py - min_y) * scale)
        for px, py in stroke[1:]:
            path.lineTo(ox + (px - min_x) * scale, oy - (py - min_y) * scale)
        canvas.drawPath(path, stroke=1, fill=0)
    canvas.restoreState()
