"""The material set of a session rendered as one PDF (`GET .../materials.pdf`, see routes).

Every page of the session, in page order, one PDF page per material: the image
fitted to an A4 sheet (portrait or landscape, whichever suits the image) keeping
its aspect, with a small footer naming the case and the session and "page n of N".
Only the session's officer or an admin may export; each export is audited
(`material.export`, with the page count). Pages are decrypted with the vault into
memory and handed to reportlab as in-memory files: no plaintext touches the disk.
This module is the rendering only (pure, CPU-bound); `service.MaterialService.export`
gathers the pages and audits.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from shared.documents import FontUnavailable, default_fonts

MARGIN = 28.0
"""Sheet margin in points (about 10 mm)."""
FOOTER = 18.0
"""Height kept free for the footer line, in points."""
FOOTER_SIZE = 8.0


@dataclass(frozen=True)
class ExportPage:
    """One decrypted page: its number, pixel size and JPEG bytes (in memory only)."""

    page_no: int
    width: int
    height: int
    jpeg: bytes


def _footer_font() -> str:
    # The footer carries Chinese; fall back to a core font (ASCII only) without WQY.
    try:
        return default_fonts().primary_name
    except FontUnavailable:
        return "Helvetica"


def render_materials_pdf(pages: list[ExportPage], case_number: str, session_id: str) -> bytes:
    """A PDF with one A4 page per material (see module docstring). CPU-bound."""
    if not pages:
        raise ValueError("no pages to export")
    font = _footer_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, initialFontName=font)
    canvas.setTitle(f"{case_number} materials")
    canvas.setAuthor("Remote Virtual Window")
    canvas.setCreator("backoffice_console.hub.material_export")
    total = len(pages)
    for index, page in enumerate(pages, start=1):
        sheet = landscape(A4) if page.width > page.height else A4
        canvas.setPageSize(sheet)
        sheet_w, sheet_h = sheet
        box_w = sheet_w - 2 * MARGIN
        box_h = sheet_h - 2 * MARGIN - FOOTER
        scale = min(box_w / page.width, box_h / page.height)
        draw_w, draw_h = page.width * scale, page.height * scale
        x = (sheet_w - draw_w) / 2
        y = MARGIN + FOOTER + (box_h - draw_h) / 2
        # An in-memory reader: reportlab embeds the JPEG as it is (DCTDecode), no temp file.
        canvas.drawImage(ImageReader(io.BytesIO(page.jpeg)), x, y, draw_w, draw_h)
        if font == "Helvetica":
            footer = f"Case {case_number} / session {session_id} - page {index} of {total}"
        else:
            footer = f"案件 {case_number} · 会话 {session_id} · 第 {index} 页 / 共 {total} 页"
        canvas.setFont(font, FOOTER_SIZE)
        canvas.setFillGray(0.35)
        canvas.drawCentredString(sheet_w / 2, MARGIN, footer)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
