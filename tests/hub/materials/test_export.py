"""A session's materials exported as one PDF by a real hub: pages, rendering, access, audit."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from backoffice_console.hub.materials.export import ExportPage, render_materials_pdf
from backoffice_console.materials import MaterialsDesk, MaterialsView
from backoffice_console.model import ConsoleError
from shared.hubclient import HubRequestError
from shared.protocol import Role
from tests.hub.identity.test_routes import audit_rows, in_call
from tests.hub.materials.test_routes import page_jpeg, upload
from tests.support.hub_fixtures import WAIT, HubHarness, Peer

A4_PT = (595, 842)


def pdf_pages(pdf: bytes, tmp_path: Path) -> list[tuple[int, int]]:
    """Page sizes in points, as poppler's pdfinfo reads them (also proves the PDF parses)."""
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "999", str(path)],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout  # fmt: skip
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", out)
    return [(round(float(w)), round(float(h))) for w, h in sizes]


def render(pdf: bytes, tmp_path: Path) -> list[np.ndarray]:
    """Every page rasterised by pdftoppm at 40 dpi, as grey images."""
    path = tmp_path / "render.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-gray", str(path), str(tmp_path / "pg")],
        check=True, timeout=60, capture_output=True,
    )  # fmt: skip
    files = sorted(tmp_path.glob("pg-*.pgm"))
    return [cv2.imread(str(f), cv2.IMREAD_GRAYSCALE) for f in files]


def marked_page(seed: int, size: tuple[int, int], dark_half: str) -> bytes:
    """A page with one dark half (left/right/top) so the rendering shows which page it is."""
    image = cv2.imdecode(np.frombuffer(page_jpeg(seed, size), np.uint8), cv2.IMREAD_COLOR)
    w, h = size
    if dark_half == "left":
        image[:, : w // 2] = 30
    elif dark_half == "right":
        image[:, w // 2 :] = 30
    else:
        image[: h // 2] = 30
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return bytes(buf.tobytes())


async def get_pdf(peer: Peer, sid: str) -> bytes:
    return await asyncio.wait_for(
        peer.client.get_bytes(f"/api/v1/sessions/{sid}/materials.pdf"), WAIT * 4
    )


async def test_export_has_every_page_in_order_and_renders(hub: HubHarness, tmp_path: Path) -> None:
    officer, kiosk, sid = await in_call(hub)
    uploads = [
        marked_page(1, (600, 800), "left"),
        marked_page(2, (900, 600), "top"),  # landscape: a landscape sheet
        marked_page(3, (600, 800), "right"),
    ]
    for data in uploads:
        await upload(kiosk, sid, data)

    pdf = await get_pdf(officer, sid)
    assert pdf.startswith(b"%PDF-")
    sizes = pdf_pages(pdf, tmp_path)
    assert sizes == [A4_PT, A4_PT[::-1], A4_PT]
    pages = render(pdf, tmp_path)
    assert len(pages) == 3
    # Page order: the dark half of each upload is where it was.
    left, top, right = pages
    assert left[:, : left.shape[1] // 3].mean() < left[:, -left.shape[1] // 3 :].mean() - 60
    assert right[:, -right.shape[1] // 3 :].mean() < right[:, : right.shape[1] // 3].mean() - 60
    # The landscape image fills most of the landscape sheet's height (fitted, aspect kept).
    assert top[: top.shape[0] // 3].mean() < top[-top.shape[0] // 3 :].mean() - 40

    rows = await audit_rows(hub, "material.export")
    assert len(rows) == 1 and rows[0].detail["pages"] == 3 and rows[0].session_id == sid

    admin = await hub.officer("boss", Role.ADMIN)
    assert len(pdf_pages(await get_pdf(admin, sid), tmp_path)) == 3
    assert len(await audit_rows(hub, "material.export")) == 2


async def test_export_access_rules(hub: HubHarness) -> None:
    _officer, kiosk, sid = await in_call(hub, "o1")
    other_officer, other_kiosk, other_sid = await in_call(hub, "o2")
    await upload(kiosk, sid, page_jpeg(4))
    for peer, code in ((other_officer, "forbidden"), (kiosk, "forbidden")):
        with pytest.raises(HubRequestError) as err:
            await get_pdf(peer, sid)
        assert err.value.code == code
    with pytest.raises(HubRequestError) as err:  # a session with no pages: nothing to export
        await get_pdf(other_officer, other_sid)
    assert err.value.code == "not_found"
    with pytest.raises(HubRequestError) as err:
        await get_pdf(other_officer, "no-such-session")
    assert err.value.code == "not_found"
    assert await audit_rows(hub, "material.export") == []
    del other_kiosk


def test_render_fits_keeping_aspect_and_refuses_nothing_to_export(tmp_path: Path) -> None:
    tall = ExportPage(1, 300, 1200, page_jpeg(5, (300, 1200)))
    pdf = render_materials_pdf([tall], "SL20250101-ABCDEF", "s-1")
    (page,) = render(pdf, tmp_path)
    # Paper-white margins left and right of a narrow, tall image; the image spans the height.
    ink_cols = np.where((page < 200).any(axis=0))[0]
    ink_rows = np.where((page[: int(page.shape[0] * 0.9)] < 250).any(axis=1))[0]
    assert ink_cols.size and ink_cols.min() > page.shape[1] * 0.2
    assert ink_rows.max() - ink_rows.min() > page.shape[0] * 0.75
    with pytest.raises(ValueError):
        render_materials_pdf([], "SL", "s")


async def test_console_desk_saves_the_pdf_and_reports_errors(
    hub: HubHarness, tmp_path: Path
) -> None:
    officer, kiosk, sid = await in_call(hub)
    views: list[MaterialsView] = []
    desk = MaterialsDesk(lambda: officer.client, lambda: sid, views.append)
    target = tmp_path / "out" / "材料.pdf"
    with pytest.raises(ConsoleError) as err:  # no pages yet: the hub says so, nothing written
        await asyncio.wait_for(desk.export_pdf(tmp_path / "empty.pdf"), WAIT * 4)
    assert err.value.key == "materials.error.export" and not (tmp_path / "empty.pdf").exists()

    await upload(kiosk, sid, page_jpeg(11))
    await upload(kiosk, sid, page_jpeg(12))
    with pytest.raises(ConsoleError) as err:  # a folder that does not exist: clear error
        await asyncio.wait_for(desk.export_pdf(target), WAIT * 4)
    assert err.value.key == "materials.error.save"
    target.parent.mkdir()
    size = await asyncio.wait_for(desk.export_pdf(target), WAIT * 4)
    assert target.stat().st_size == size
    assert len(pdf_pages(target.read_bytes(), tmp_path)) == 2
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no partial file left

    no_call = MaterialsDesk(lambda: officer.client, lambda: None, views.append)
    with pytest.raises(ConsoleError) as err:
        await no_call.export_pdf(tmp_path / "x.pdf")
    assert err.value.key == "error.not_in_call"


def test_panel_export_button_follows_pages(qtbot: Any) -> None:
    from backoffice_console.ui.materials_panel import MaterialsPanel  # noqa: PLC0415
    from tests.console.test_materials import added  # noqa: PLC0415

    panel = MaterialsPanel()
    qtbot.addWidget(panel)
    assert not panel.export_button.isEnabled()
    desk = MaterialsDesk(lambda: None, lambda: "s1", panel.show_view)
    desk.handle(added(5, 1, None))
    assert panel.export_button.isEnabled()
    clicks: list[bool] = []
    panel.export_requested.connect(lambda: clicks.append(True))
    panel.export_button.click()
    assert clicks == [True]
