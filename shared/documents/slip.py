"""The material transmittal slip (流转单): originals that travel, each with its own code."""

from __future__ import annotations

import io

from reportlab.lib.units import mm

from shared.documents.fonts import FontSet, LayoutOverflow, default_fonts
from shared.documents.layout import MUTED, Sheet
from shared.documents.models import TransmittalSlip
from shared.documents.rendered import RenderedDocument, RenderOptions
from shared.i18n import tr


def _t(key: str, **fmt: object) -> str:
    return tr("documents", key, **fmt)


def _check(slip: TransmittalSlip, fonts: FontSet) -> None:
    for field in ("matter", "service_point", "destination", "handed_over_by"):
        fonts.check(getattr(slip, field), field)
    for i, item in enumerate(slip.items):
        fonts.check(item.name, f"items[{i}].name")
        if item.note:
            fonts.check(item.note, f"items[{i}].note")


def render_slip(
    slip: TransmittalSlip, options: RenderOptions | None = None, fonts: FontSet | None = None
) -> RenderedDocument:
    """Render `slip` as a one-page PDF with a QR code for the slip and one per item."""
    options = options or RenderOptions()
    fonts = fonts or default_fonts()
    _check(slip, fonts)
    title = f"{_t('slip.title')} {slip.slip_number}"
    buffer = io.BytesIO()
    sheet = Sheet.new(buffer, fonts, options.paper, title, options.created)
    s = sheet.size
    y = sheet.header(_t("org"), _t("slip.title"), 22)

    qr_side = 28 * mm * sheet.scale
    qr_top = y - s(6)
    sheet.qr(slip.qr_text, sheet.right - qr_side, qr_top - qr_side, qr_side)
    rows = [
        ("slip.number", slip.slip_number, "slip_number"),
        ("slip.case_number", slip.case_number, "case_number"),
        ("slip.matter", slip.matter, "matter"),
        ("slip.from", slip.service_point, "service_point"),
        ("slip.to", slip.destination, "destination"),
        ("slip.created_at", slip.created_at.strftime("%Y-%m-%d %H:%M"), "created_at"),
    ]
    size = s(10.5)
    label_w = s(70)
    value_w = sheet.content_width - qr_side - label_w - s(8)
    y -= s(20)
    labelled = [(_t(key), value, field) for key, value, field in rows]
    y = sheet.label_rows(y, labelled, label_w, value_w, size)
    y = min(y, qr_top - qr_side - s(8))

    y = _items(sheet, slip, y, size)
    _handover(sheet, slip, y, size)
    sheet.canvas.showPage()
    sheet.canvas.save()
    return RenderedDocument("slip", buffer.getvalue(), options.paper, 1, title)


def _items(sheet: Sheet, slip: TransmittalSlip, y: float, size: float) -> float:
    """The item table; returns the y below it."""
    s = sheet.size
    # Item table: each row carries its code as text and as a small QR code.
    code_side = 18 * mm * sheet.scale
    row_h = code_side + s(4)
    cols = [
        (sheet.left + s(2), "slip.col_no"),
        (sheet.left + s(28), "slip.col_name"),
        (sheet.right - code_side - s(150), "slip.col_copies"),
        (sheet.right - code_side - s(112), "slip.col_pages"),
        (sheet.right - code_side - s(74), "slip.col_code"),
    ]
    y -= s(6)
    sheet.rule(y + s(4))
    y -= s(12)
    for x, key in cols:
        sheet.text(x, y, _t(key), s(9.5), key, color=MUTED)
    y -= s(6)
    sheet.rule(y)
    name_w = cols[2][0] - cols[1][0] - s(16)
    for i, item in enumerate(slip.items):
        top = y
        if top - code_side < sheet.margin + s(60):
            raise LayoutOverflow("slip does not fit on one page: split the items over two slips")
        base = top - s(16)
        field = f"items[{i}]"
        sheet.text(cols[0][0], base, str(i + 1), size, field)
        lines = sheet.wrap(item.name, size, name_w, f"{field}.name")
        row_h = max(code_side + s(4), len(lines) * size * 1.35 + s(22))
        for n, line in enumerate(lines):
            sheet.text(cols[1][0], base - n * size * 1.35, line, size, f"{field}.name")
        if item.note:
            sheet.text(
                cols[1][0], top - row_h + s(5), item.note, s(8.5), f"{field}.note", color=MUTED
            )
        sheet.text(cols[2][0], base, str(item.copies), size, field)
        sheet.text(cols[3][0], base, "-" if item.pages is None else str(item.pages), size, field)
        sheet.text(cols[4][0], base, item.code, s(9), field)
        sheet.qr(item.code, sheet.right - code_side, top - (row_h + code_side) / 2, code_side)
        y = top - row_h
        sheet.rule(y)

    return y


def _handover(sheet: Sheet, slip: TransmittalSlip, y: float, size: float) -> None:
    """Lines for who hands the originals over and who receives them."""
    s = sheet.size
    # Hand-over signatures: whoever moves the originals signs, whoever receives them signs.
    y -= s(34)
    half = sheet.content_width / 2
    for n, key in enumerate(("slip.handed_over", "slip.received")):
        x = sheet.left + n * half
        sheet.text(x, y, _t(key), size, key, color=MUTED)
        sheet.rule(y - s(3), x + s(64), x + half - s(12))
        sheet.text(x, y - s(24), _t("slip.date"), size, key, color=MUTED)
        sheet.rule(y - s(27), x + s(64), x + half - s(12))
    sheet.text(sheet.left + s(66), y + s(2), slip.handed_over_by, size, "handed_over_by")
