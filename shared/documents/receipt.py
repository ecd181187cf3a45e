"""The acceptance receipt (受理回执): who, what, when, what was received, what happens next."""

from __future__ import annotations

import io

from reportlab.lib.units import mm

from shared.documents.fonts import FontSet, LayoutOverflow, default_fonts
from shared.documents.layout import MUTED, Anchor, Sheet
from shared.documents.models import Receipt
from shared.documents.rendered import RenderedDocument, RenderOptions
from shared.i18n import tr


def _t(key: str, **fmt: object) -> str:
    return tr("documents", key, **fmt)


def _check(receipt: Receipt, fonts: FontSet) -> None:
    # Refuse before drawing anything: a half-drawn receipt is never produced.
    fonts.check(receipt.matter, "matter")
    fonts.check(receipt.resident_name, "resident_name")
    fonts.check(receipt.service_point, "service_point")
    fonts.check(receipt.next_steps, "next_steps")
    if receipt.progress_hint:
        fonts.check(receipt.progress_hint, "progress_hint")
    for i, material in enumerate(receipt.materials):
        fonts.check(material.name, f"materials[{i}].name")


def render_receipt(
    receipt: Receipt, options: RenderOptions | None = None, fonts: FontSet | None = None
) -> RenderedDocument:
    """Render `receipt` as a one-page PDF (A5 by default, A4 on request)."""
    options = options or RenderOptions()
    fonts = fonts or default_fonts()
    _check(receipt, fonts)
    title = f"{_t('receipt.title')} {receipt.case_number}"
    buffer = io.BytesIO()
    sheet = Sheet.new(buffer, fonts, options.paper, title, options.created)
    s = sheet.size
    y = sheet.header(_t("org"), _t("receipt.title"), 24)

    # The QR code sits at the top right, beside the case details it identifies.
    qr_side = 34 * mm * sheet.scale
    qr_x = sheet.right - qr_side
    qr_top = y - s(6)
    sheet.qr(receipt.qr_text, qr_x, qr_top - qr_side, qr_side)
    sheet.text(
        qr_x + qr_side / 2,
        qr_top - qr_side - s(10),
        _t("receipt.qr_caption"),
        s(8),
        "qr_caption",
        anchor=Anchor.CENTER,
        color=MUTED,
    )

    rows = [
        ("receipt.case_number", receipt.case_number, "case_number"),
        ("receipt.matter", receipt.matter, "matter"),
        ("receipt.resident", receipt.resident_name, "resident_name"),
        ("receipt.id_number", receipt.masked_id, "id_number"),
        ("receipt.officer", receipt.officer_number, "officer_number"),
        ("receipt.service_point", receipt.service_point, "service_point"),
        ("receipt.accepted_at", receipt.accepted_at.strftime("%Y-%m-%d %H:%M"), "accepted_at"),
    ]
    label_w = s(78)
    value_w = qr_x - sheet.left - label_w - s(8)
    size = s(11)
    y -= s(22)
    labelled = [(_t(key), value, field) for key, value, field in rows]
    y = sheet.label_rows(y, labelled, label_w, value_w, size)
    y = min(y, qr_top - qr_side - s(22))

    y = _materials(sheet, receipt, y, size)
    y -= s(6)
    sheet.rule(y + s(8))
    y -= s(10)
    sheet.text(sheet.left, y, _t("receipt.next_steps"), s(12), "next_steps")
    y -= s(18)
    width = sheet.content_width
    y = sheet.paragraph(sheet.left, y, receipt.next_steps, size, width=width, field="next_steps")
    if receipt.progress_hint:
        hint = receipt.progress_hint
        y = sheet.paragraph(sheet.left, y, hint, size, width=width, field="progress_hint")

    foot = sheet.margin
    if y < foot + s(24):
        raise LayoutOverflow("receipt does not fit on one page: shorten materials or next steps")
    sheet.rule(foot + s(14))
    sheet.text(
        sheet.width / 2, foot, _t("receipt.keep"), s(9), "keep", anchor=Anchor.CENTER, color=MUTED
    )
    sheet.canvas.showPage()
    sheet.canvas.save()
    return RenderedDocument("receipt", buffer.getvalue(), options.paper, 1, title)


def _materials(sheet: Sheet, receipt: Receipt, y: float, size: float) -> float:
    """The numbered list of materials received; returns the y below it."""
    s = sheet.size
    sheet.rule(y + s(8))
    y -= s(10)
    sheet.text(sheet.left, y, _t("receipt.materials"), s(12), "materials")
    y -= s(18)
    if not receipt.materials:
        sheet.text(
            sheet.left + s(12), y, _t("receipt.no_materials"), size, "materials", color=MUTED
        )
        y -= size * 1.45
    for i, material in enumerate(receipt.materials, start=1):
        extra = _t("receipt.copies", n=material.copies)
        if material.original:
            extra += f" · {_t('receipt.original')}"
        sheet.text(sheet.left + s(4), y, f"{i}.", size, "materials", color=MUTED)
        sheet.text(sheet.right, y, extra, size, "materials", anchor=Anchor.RIGHT, color=MUTED)
        y = sheet.paragraph(
            sheet.left + s(22),
            y,
            material.name,
            size,
            width=sheet.content_width - s(90),
            field=f"materials[{i - 1}].name",
        )

    return y
