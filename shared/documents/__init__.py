"""Printed documents as PDFs (reportlab, no Qt): receipts, transmittal slips, signable forms.

Inputs are pydantic models validated before anything is drawn; every character is
checked against embedded TrueType fonts with fallbacks (`GlyphMissing` when none has
it); `RenderOptions(created=...)` makes the bytes reproducible.

    doc = render_receipt(Receipt(...), RenderOptions(paper=PaperSize.A5))
    doc.pdf, doc.sha256, doc.signature_fields
"""

from shared.documents.fonts import (
    DocumentError,
    FontSet,
    FontUnavailable,
    GlyphMissing,
    LayoutOverflow,
    default_fonts,
)
from shared.documents.form import SignatureInk, render_form
from shared.documents.layout import SignatureField
from shared.documents.models import (
    FormDocument,
    FormEntry,
    Material,
    PaperSize,
    Receipt,
    SignatureSpec,
    SlipItem,
    TransmittalSlip,
    mask_id_number,
)
from shared.documents.receipt import render_receipt
from shared.documents.rendered import RenderedDocument, RenderOptions
from shared.documents.slip import render_slip

__all__ = [
    "DocumentError",
    "FontSet",
    "FontUnavailable",
    "FormDocument",
    "FormEntry",
    "GlyphMissing",
    "LayoutOverflow",
    "Material",
    "PaperSize",
    "Receipt",
    "RenderOptions",
    "RenderedDocument",
    "SignatureField",
    "SignatureInk",
    "SignatureSpec",
    "SlipItem",
    "TransmittalSlip",
    "default_fonts",
    "mask_id_number",
    "render_form",
    "render_receipt",
    "render_slip",
]
