"""Receipts, slips and forms: Chinese text, embedded fonts, QR codes, sizes, bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from shared.documents import (
    GlyphMissing,
    PaperSize,
    RenderOptions,
    render_form,
    render_receipt,
    render_slip,
)
from tests.support import document_samples as samples


@pytest.fixture(autouse=True)
def _poppler() -> None:
    if shutil.which("pdftotext") is None:
        pytest.fail("poppler-utils is required (installer/packages-test.txt)")


REPO = Path(__file__).resolve().parents[3]
A4_PT = (595, 842)
A5_PT = (420, 595)


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=30).stdout


def _pdf(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _png(pdf: Path, out: Path, dpi: int = 150) -> np.ndarray:
    _run("pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(pdf), str(out.with_suffix("")))
    image = cv2.imread(str(out))
    assert image is not None
    return image


def _qr_texts(image: np.ndarray) -> set[str]:
    # The Aruco-based detector finds every code on a whole page; small codes then decode
    # reliably one at a time from a crop with a margin, scaled up.
    ok, texts, quads, _ = cv2.QRCodeDetectorAruco().detectAndDecodeMulti(image)
    found = {t for t in texts if t} if ok else set()
    for quad in quads if ok else []:
        (x0, y0), (x1, y1) = quad.min(0).astype(int), quad.max(0).astype(int)
        margin = (x1 - x0) // 4
        crop = image[max(0, y0 - margin) : y1 + margin, max(0, x0 - margin) : x1 + margin]
        crop = cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
        text = cv2.QRCodeDetector().detectAndDecode(crop)[0]
        if text:
            found.add(text)
    return found


def test_receipt_has_chinese_text_masked_id_and_embedded_fonts(tmp_path: Path) -> None:
    doc = render_receipt(samples.receipt(), RenderOptions(created=samples.FIXED))
    pdf = _pdf(tmp_path, "receipt.pdf", doc.pdf)
    text = _run("pdftotext", str(pdf), "-")
    for expected in (
        "受理回执",
        "张秀英",
        "居住证办理",
        "房屋租赁合同复印件",
        "梅园社区党群服务站",
        "SL20240520-0042",
        "GH-0117",
        "2024-05-20 09:30",
        "110105********002X",
    ):
        assert expected in text
    assert samples.VALID_ID not in text  # only ever the masked number on paper
    fonts = _run("pdffonts", str(pdf)).splitlines()[2:]
    assert fonts, "no fonts listed"
    assert all(line.split()[-5] == "yes" for line in fonts), fonts  # emb column
    assert any("WenQuanYiMicroHei" in line for line in fonts)


@pytest.mark.parametrize(("paper", "points"), [(PaperSize.A4, A4_PT), (PaperSize.A5, A5_PT)])
def test_paper_sizes(tmp_path: Path, paper: PaperSize, points: tuple[int, int]) -> None:
    for name, doc in (
        ("receipt", render_receipt(samples.receipt(), RenderOptions(paper=paper))),
        ("slip", render_slip(samples.slip(), RenderOptions(paper=paper))),
        ("form", render_form(samples.form(), RenderOptions(paper=paper))),
    ):
        info = _run("pdfinfo", str(_pdf(tmp_path, f"{name}.pdf", doc.pdf)))
        size = next(line for line in info.splitlines() if line.startswith("Page size"))
        width, height = (round(float(v)) for v in size.split()[2:5:2])
        assert (width, height) == points, (name, size)
        assert doc.paper is paper


def test_receipt_qr_decodes_from_rendered_page(tmp_path: Path, test_output: Path) -> None:
    for paper in PaperSize:
        doc = render_receipt(samples.receipt(), RenderOptions(paper=paper, created=samples.FIXED))
        image = _png(_pdf(tmp_path, "r.pdf", doc.pdf), test_output / f"doc-receipt-{paper}.png")
        assert _qr_texts(image) == {"RVW-CASE:SL20240520-0042"}


def test_slip_codes_decode_per_item(tmp_path: Path, test_output: Path) -> None:
    slip = samples.slip()
    doc = render_slip(slip, RenderOptions(created=samples.FIXED))
    pdf = _pdf(tmp_path, "slip.pdf", doc.pdf)
    assert "材料流转单" in _run("pdftotext", str(pdf), "-")
    image = _png(pdf, test_output / "doc-slip-A5.png")
    assert _qr_texts(image) == {slip.qr_text, *(item.code for item in slip.items)}


def test_rare_name_characters_use_fallback_fonts(tmp_path: Path) -> None:
    # 䶮 is CJK Ext-A (not in Micro Hei), 𠀀 is Ext-B.
    doc = render_receipt(samples.receipt(name="刘䶮𠀀"), RenderOptions(created=samples.FIXED))
    pdf = _pdf(tmp_path, "rare.pdf", doc.pdf)
    assert "刘䶮" in _run("pdftotext", str(pdf), "-")
    fonts = _run("pdffonts", str(pdf))
    assert "WenQuanYiZenHei" in fonts
    assert "HanaMin" in fonts


def test_character_no_font_covers_raises_glyph_missing() -> None:
    # U+31350 (CJK Ext-H) is in none of the installed fonts.
    with pytest.raises(GlyphMissing) as info:
        render_receipt(samples.receipt(name="王\U00031350"))
    assert info.value.char == "\U00031350"
    assert info.value.field == "resident_name"
    assert "U+31350" in str(info.value)


def test_deterministic_with_fixed_date() -> None:
    options = RenderOptions(created=samples.FIXED)
    first = render_receipt(samples.receipt(), options)
    assert first.pdf == render_receipt(samples.receipt(), options).pdf
    assert b"20240520" in first.pdf  # the creation date we asked for
    other = render_receipt(samples.receipt(name="李四"), options)
    assert other.sha256 != first.sha256


def test_form_signature_fields_and_pages(tmp_path: Path, test_output: Path) -> None:
    doc = render_form(samples.form(paragraphs=12), RenderOptions(paper=PaperSize.A4))
    pdf = _pdf(tmp_path, "form.pdf", doc.pdf)
    info = _run("pdfinfo", str(pdf))
    pages = int(next(x for x in info.splitlines() if x.startswith("Pages:")).split()[1])
    assert pages == doc.pages >= 2
    applicant = doc.signature_field("applicant")
    agent = doc.signature_field("agent")
    assert applicant.page == agent.page == doc.pages - 1
    assert applicant.x + applicant.width < agent.x  # side by side, no overlap
    assert applicant.y > 0 and applicant.y + applicant.height < A4_PT[1]
    with pytest.raises(KeyError, match="applicant"):
        doc.signature_field("witness")
    # The box is drawn where the field says: at 72 dpi one point is one pixel.
    _run(
        "pdftoppm",
        "-r",
        "72",
        "-png",
        "-f",
        str(pages),
        "-l",
        str(pages),
        "-singlefile",
        str(pdf),
        str(tmp_path / "last"),
    )
    grey = cv2.imread(str(tmp_path / "last.png"), cv2.IMREAD_GRAYSCALE)
    cx = int(applicant.x + applicant.width / 2)
    top = int(grey.shape[0] - (applicant.y + applicant.height))
    bottom = int(grey.shape[0] - applicant.y)
    assert grey[top - 1 : top + 2, cx].min() < 230
    assert grey[bottom - 1 : bottom + 2, cx].min() < 230
    assert grey[(top + bottom) // 2, cx] > 245  # empty inside, ready for a signature
    short = render_form(samples.form(paragraphs=1), RenderOptions(paper=PaperSize.A5))
    assert short.pages == 1
    _png(_pdf(tmp_path, "short.pdf", short.pdf), test_output / "doc-form-A5.png")


@pytest.mark.parametrize(
    "changes",
    [
        {"id_number": "110105194912310021"},  # wrong check character
        {"id_number": "12345"},
        {"resident_name": ""},
        {"resident_name": "张\x00三"},
        {"case_number": "bad case/../"},
        {"matter": "x" * 81},
    ],
)
def test_bad_receipt_input_is_refused_before_rendering(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        samples.receipt(**changes)


def test_slip_refuses_duplicate_item_codes() -> None:
    items = list(samples.slip().items)
    with pytest.raises(ValidationError, match="unique"):
        samples.slip(items=[items[0], items[0]])


def test_bench_reports_both_rates_and_ratio() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "receipt.py"), "--seconds", "0.3"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(result.stdout)
    assert report["shared_documents_per_s"] > 0 and report["bare_reportlab_per_s"] > 0
    expected = report["bare_reportlab_per_s"] / report["shared_documents_per_s"]
    assert report["ratio"] == pytest.approx(expected, rel=0.01)
