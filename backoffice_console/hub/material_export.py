"""The material set of a session as one PDF: `GET /api/v1/sessions/{session_id}/materials.pdf`.

Every page of the session, in page order, one PDF page per material: the image
fitted to an A4 sheet (portrait or landscape, whichever suits the image) keeping
its aspect, with a small footer naming the case and the session and "page n of N".
Only the session's officer or an admin may export; each export is audited
(`material.export`, with the page count). Pages are decrypted with the vault into
memory and handed to reportlab as in-memory files: no plaintext touches the disk.
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass

from aiohttp import web
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select

from backoffice_console.hub.accounts import Principal
from backoffice_console.hub.api import principal_of
from backoffice_console.hub.db import StoredMaterial
from backoffice_console.hub.documents import case_number_for
from backoffice_console.hub.errors import HubError
from backoffice_console.hub.materials import MATERIALS_KEY, MaterialService, session_for_reader
from shared.documents import FontUnavailable, default_fonts
from shared.protocol import ErrorCode

log = logging.getLogger(__name__)

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


async def export_session(service: MaterialService, session_id: str, who: Principal) -> bytes:
    """All pages of the session as one PDF, for its officer or an admin; audits the export."""
    vault = service._vault()
    async with service.hub.db.session() as s:
        cs = await session_for_reader(s, session_id, who)
        rows = list(
            await s.scalars(
                select(StoredMaterial)
                .where(StoredMaterial.session_id == session_id)
                .order_by(StoredMaterial.page_no)
            )
        )
        started_at = cs.started_at
    if not rows:
        raise HubError(ErrorCode.NOT_FOUND, "this session has no materials")
    if any(r.key_id != vault.key_id for r in rows):
        raise HubError(ErrorCode.INTERNAL, "material stored under another key")
    pages = [
        ExportPage(r.page_no, r.width, r.height, vault.open(r.session_id, r.nonce, r.ciphertext))
        for r in rows
    ]
    loop = asyncio.get_running_loop()
    pdf = await loop.run_in_executor(
        service._executor,
        render_materials_pdf,
        pages,
        case_number_for(session_id, started_at),
        session_id,
    )
    # Audited once the PDF exists: a failed render hands nothing out.
    await service.hub.calls.audit(
        who, "material.export", session_id, pages=len(pages), material_ids=[r.id for r in rows]
    )
    log.info("materials of a session exported (%d pages)", len(pages))
    return pdf


async def get_materials_pdf(request: web.Request) -> web.Response:
    """`GET /api/v1/sessions/{session_id}/materials.pdf`: see the module docstring."""
    service = request.app[MATERIALS_KEY]
    who = await principal_of(request, service.hub)
    session_id = request.match_info["session_id"]
    pdf = await export_session(service, session_id, who)
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": 'attachment; filename="materials.pdf"',
        },
    )


def setup_material_export(app: web.Application) -> None:
    """Add the export route (after `setup_materials`)."""
    app.router.add_get("/api/v1/sessions/{session_id}/materials.pdf", get_materials_pdf)
