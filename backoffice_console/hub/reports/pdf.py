"""The report as a PDF (A4 landscape): heading, charts (cases per group, outcomes, ratings), table.

Text uses the embedded Chinese fonts of shared/documents (Micro Hei, with fallbacks
for rare characters in table cells); chart labels use the primary font only, so a
character it lacks is drawn as "?" rather than failing the whole report.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from backoffice_console.hub.reports.service import LEVELS, OUTCOMES, Report, table_cells
from shared.documents.fonts import FontSet, default_fonts
from shared.i18n import tr

MAX_BARS = 40
_PALETTE = [
    colors.HexColor(c)
    for c in ("#2e7d32", "#66bb6a", "#fbc02d", "#ef6c00", "#c62828", "#1565c0", "#6a1b9a")
]

# open, accepted, completed, needs more, not eligible
_OUTCOME_COLOURS = [
    colors.HexColor(c) for c in ("#90a4ae", "#1565c0", "#2e7d32", "#ef6c00", "#c62828")
]


def _t(key: str, **fmt: object) -> str:
    return tr("reports", key, **fmt)


def _markup(fonts: FontSet, text: str) -> str:
    """Paragraph markup drawing each character with the first font that has it."""
    out = []
    for name, part in fonts.runs(text, "report"):
        out.append(f'<font name="{name}">{escape(part)}</font>')
    return "".join(out)


def _plain(fonts: FontSet, text: str) -> str:
    covered = fonts.primary[1]
    return "".join(c if ord(c) in covered or c == " " else "?" for c in text)


def _bar_chart(fonts: FontSet, report: Report, width: float) -> Drawing:
    rows = sorted(report.rows, key=lambda r: -r["cases"])[:MAX_BARS]
    rows = [r for r in report.rows if r in rows]  # keep the report's order
    drawing = Drawing(width, 70 * mm, initialFontName=fonts.primary_name)
    drawing.add(
        String(
            0, 66 * mm, _plain(fonts, _t("chart.cases")), fontName=fonts.primary_name, fontSize=10
        )
    )
    if not rows:
        drawing.add(
            String(
                10 * mm,
                30 * mm,
                _plain(fonts, _t("chart.none")),
                fontName=fonts.primary_name,
                fontSize=10,
            )
        )
        return drawing
    chart = VerticalBarChart()
    chart.x, chart.y = 12 * mm, 16 * mm
    chart.width, chart.height = width - 16 * mm, 46 * mm
    chart.data = [[r["cases"] for r in rows]]
    chart.bars[0].fillColor = _PALETTE[5]
    chart.valueAxis.valueMin = 0
    top = max(r["cases"] for r in rows)
    chart.valueAxis.valueStep = max(1, (top + 4) // 5)
    chart.valueAxis.valueMax = max(1, chart.valueAxis.valueStep * 5)
    chart.valueAxis.labels.fontName = fonts.primary_name
    chart.categoryAxis.categoryNames = [_plain(fonts, r["label"])[:12] for r in rows]
    chart.categoryAxis.labels.fontName = fonts.primary_name
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(rows) > 6 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(rows) > 6 else "n"
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = fonts.primary_name
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 5
    drawing.add(chart)
    return drawing


def _pie(
    fonts: FontSet, title: str, parts: list[tuple[str, Any]], size: float, palette: list[Any]
) -> Drawing:
    drawing = Drawing(size * 3, size + 14 * mm, initialFontName=fonts.primary_name)
    drawing.add(
        String(0, size + 8 * mm, _plain(fonts, title), fontName=fonts.primary_name, fontSize=10)
    )
    shown = [(label, n) for label, n in parts if n > 0]
    if not shown:
        drawing.add(
            String(
                10 * mm,
                size / 2,
                _plain(fonts, _t("chart.none")),
                fontName=fonts.primary_name,
                fontSize=10,
            )
        )
        return drawing
    pie = Pie()
    pie.x, pie.y = size, 2 * mm  # room on both sides for the side labels
    pie.width = pie.height = size
    pie.data = [n for _, n in shown]
    pie.labels = [_plain(fonts, f"{label} {n}") for label, n in shown]
    pie.simpleLabels = 0
    pie.sideLabels = 1
    pie.slices.fontName = fonts.primary_name
    pie.slices.fontSize = 8
    pie.slices.strokeColor = colors.white
    colour_of = {label: palette[i % len(palette)] for i, (label, _) in enumerate(parts)}
    for i, (label, _) in enumerate(shown):
        pie.slices[i].fillColor = colour_of[label]
    drawing.add(pie)
    return drawing


def _table(fonts: FontSet, report: Report, width: float) -> Table:
    head_style = ParagraphStyle("h", fontName=fonts.primary_name, fontSize=7.5, leading=9)
    cell_style = ParagraphStyle("c", fontName=fonts.primary_name, fontSize=8, leading=10)
    keys = [
        "col.group",
        "col.cases",
        "col.waiting_median",
        "col.waiting_mean",
        "col.handling_median",
        "col.handling_mean",
        *(f"outcome.{o}" for o in OUTCOMES),
        "col.rated",
        "col.rating_mean",
        "col.open_rectifications",
    ]
    header = [Paragraph(_markup(fonts, _t(k)), head_style) for k in keys]
    data: list[list[Any]] = [header]
    for row in [*report.rows, report.total]:
        cells = table_cells(row)
        # table_cells lists the five rating counts before the mean: the PDF shows the chart.
        rated_at = 6 + len(OUTCOMES)
        cells = cells[: rated_at + 1] + cells[rated_at + 1 + len(LEVELS) :]
        data.append([Paragraph(_markup(fonts, c), cell_style) for c in cells])
    first = 44 * mm
    rest = (width - first) / (len(keys) - 1)
    table = Table(data, colWidths=[first] + [rest] * (len(keys) - 1), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), fonts.primary_name),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e3eaf5")),
                ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f2f2f2")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def render_report_pdf(report: Report, fonts: FontSet | None = None) -> bytes:
    """The report as PDF bytes (fonts embedded)."""
    fonts = fonts or default_fonts()
    out = io.BytesIO()
    page = landscape(A4)
    margin = 12 * mm
    doc = SimpleDocTemplate(
        out,
        pagesize=page,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=_t("title"),
        author="Remote Virtual Window",
        # Our font from the start, so no unembedded Helvetica is referenced by the pages.
        initialFontName=fonts.primary_name,
    )
    width = page[0] - 2 * margin
    title = ParagraphStyle("t", fontName=fonts.primary_name, fontSize=18, leading=24)
    meta = ParagraphStyle("m", fontName=fonts.primary_name, fontSize=10, leading=14)
    scope = _t("scope.own") if report.scope == "own" else _t("scope.all")
    generated = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    lines = [
        _t("period", start=report.start.isoformat(), end=report.end.isoformat()),
        f"{_t('grouping', by=_t('by.' + report.by))}　{scope}　{_t('generated', at=generated)}",
    ]
    story: list[Any] = [Paragraph(_markup(fonts, _t("title")), title)]
    story += [Paragraph(_markup(fonts, line), meta) for line in lines]
    story.append(Spacer(1, 4 * mm))
    if not report.rows:
        story.append(Paragraph(_markup(fonts, _t("no_cases")), meta))
    story.append(_bar_chart(fonts, report, width))
    total = report.total
    outcome_parts = [(_t(f"outcome.{o}"), total["outcomes"].get(o, 0)) for o in OUTCOMES]
    rating_parts = [(_t(f"rating.{lv}"), total["ratings"][str(lv)]) for lv in LEVELS]
    pies = Table(
        [
            [
                _pie(fonts, _t("chart.outcomes"), outcome_parts, 38 * mm, _OUTCOME_COLOURS),
                _pie(fonts, _t("chart.ratings"), rating_parts, 38 * mm, _PALETTE),
            ]
        ],
        colWidths=[width / 2, width / 2],
        style=[("FONTNAME", (0, 0), (-1, -1), fonts.primary_name)],
    )
    story += [pies, Spacer(1, 4 * mm), _table(fonts, report, width)]
    doc.build(story)
    return out.getvalue()
