"""Receipts per second: shared.documents against bare reportlab drawing the same page.

Both sides use the same registered font, the same strings at the same positions and
the same QR code; shared.documents adds validation, per-character font coverage,
fallback runs and wrapping. Prints JSON with both rates and the ratio (target <= 1.3).

    .venv/bin/python bench/receipt.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reportlab.lib.pagesizes import A5
from reportlab.pdfgen.canvas import Canvas

from shared.documents import (
    Material,
    Receipt,
    RenderOptions,
    default_fonts,
    render_receipt,
)
from shared.documents.layout import draw_qr

FIXED = datetime(2024, 5, 20, 9, 30)


def sample() -> Receipt:
    """The receipt both sides draw."""
    return Receipt(
        case_number="SL20240520-0042",
        matter="居住证办理（首次申领）",
        resident_name="张秀英",
        id_number="11010519491231002X",
        materials=[
            Material(name="居民身份证", original=True),
            Material(name="房屋租赁合同复印件", copies=2),
            Material(name="近期一寸免冠照片", copies=2),
        ],
        officer_number="GH-0117",
        service_point="梅园社区党群服务站",
        accepted_at=FIXED,
        next_steps="材料已转至受理中心审核，预计 5 个工作日内办结。办结后将短信通知，"
        "请凭本回执到梅园社区党群服务站领取证件。",
    )


def bare(receipt: Receipt, font: str) -> bytes:
    """The same text, font and QR code drawn with plain reportlab calls (no checks)."""
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A5, invariant=True, initialFontName=font)
    width, height = A5
    c.setFont(font, 8)
    c.drawCentredString(width / 2, height - 45, "社区事务受理服务中心 · 远程虚拟窗口")
    c.setFont(font, 19.2)
    c.drawCentredString(width / 2, height - 69, "受理回执")
    c.line(34, height - 80, width - 34, height - 80)
    draw_qr(c, receipt.qr_text, width - 130, height - 180, 96)
    c.setFont(font, 8.8)
    rows = [
        ("受理编号", receipt.case_number),
        ("办理事项", receipt.matter),
        ("申请人", receipt.resident_name),
        ("证件号码", receipt.masked_id),
        ("受理人员工号", receipt.officer_number),
        ("服务点", receipt.service_point),
        ("受理时间", receipt.accepted_at.strftime("%Y-%m-%d %H:%M")),
    ]
    y = height - 100
    for label, value in rows:
        c.drawString(34, y, label)
        c.drawString(96, y, value)
        y -= 15
    c.drawString(34, y, "已收材料")
    for i, material in enumerate(receipt.materials, start=1):
        y -= 13
        c.drawString(38, y, f"{i}.")
        c.drawString(52, y, material.name)
        c.drawRightString(width - 34, y, f"{material.copies} 份")
    y -= 20
    c.drawString(34, y, "后续办理")
    text = receipt.next_steps
    for start in range(0, len(text), 34):
        y -= 13
        c.drawString(34, y, text[start : start + 34])
    c.drawCentredString(width / 2, 34, "请妥善保管本回执，查询进度时请出示受理编号。")
    c.showPage()
    c.save()
    return buffer.getvalue()


def rate(fn: Callable[[], bytes], seconds: float) -> float:
    """Calls per second of `fn` over about `seconds`."""
    fn()  # warm up (font subsets, caches)
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        count += 1
    return count / elapsed


def main() -> int:
    """Measure both and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    fonts = default_fonts()  # registration (~0.5 s) is outside both measurements
    receipt = sample()
    options = RenderOptions(created=FIXED)
    ours = rate(lambda: render_receipt(sample(), options, fonts).pdf, args.seconds)
    plain = rate(lambda: bare(receipt, fonts.primary_name), args.seconds)
    ratio = plain / ours
    print(
        json.dumps(
            {
                "shared_documents_per_s": round(ours, 1),
                "bare_reportlab_per_s": round(plain, 1),
                "ratio": round(ratio, 3),
                "target": 1.3,
                "ok": ratio <= 1.3,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
