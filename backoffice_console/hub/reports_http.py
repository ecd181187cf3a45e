"""The report routes (issue 6): `GET /api/v1/reports` (JSON or CSV) and `/api/v1/reports/pdf`.

Who sees what, and what the figures mean: see reports.py. Each read is audited.
"""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from backoffice_console.hub.accounts import Principal
from backoffice_console.hub.api import principal_of
from backoffice_console.hub.errors import HubError
from backoffice_console.hub.reports import READERS, Report, build_report, parse_period, report_csv
from backoffice_console.hub.reports_pdf import render_report_pdf
from backoffice_console.hub.services import HUB_KEY
from shared.protocol import ErrorCode, Role


async def _line_names(app: web.Application) -> dict[str, str]:
    _, catalogue = await app[HUB_KEY].catalogue.current()
    return {line.code: line.name for line in catalogue.lines}


async def _report_of(request: web.Request) -> tuple[Principal, Report]:
    hub = request.app[HUB_KEY]
    who = await principal_of(request, hub)
    if who.role not in READERS:
        raise HubError(ErrorCode.FORBIDDEN, "only supervisors, admins and officers")
    start, end = parse_period(request.query.get("from"), request.query.get("to"))
    by = request.query.get("by", "day")
    own = who.subject_id if who.role is Role.OFFICER else None
    report = await build_report(
        hub.db, start, end, by, officer_id=own, line_names=await _line_names(request.app)
    )
    await hub.calls.audit(
        who,
        "report.read",
        None,
        start=start.isoformat(),
        end=end.isoformat(),
        by=by,
        scope=report.scope,
    )
    return who, report


def _filename(report: Report, suffix: str) -> str:
    return f"report-{report.start.isoformat()}-{report.end.isoformat()}-{report.by}.{suffix}"


async def get_report(request: web.Request) -> web.Response:
    """GET /api/v1/reports."""
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "csv"):
        raise HubError(ErrorCode.BAD_MESSAGE, "format must be json or csv")
    _, report = await _report_of(request)
    if fmt == "csv":
        return web.Response(
            body=report_csv(report),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{_filename(report, "csv")}"'},
        )
    return web.json_response(report.to_json(), dumps=lambda d: json.dumps(d, ensure_ascii=False))


async def get_report_pdf(request: web.Request) -> web.Response:
    """GET /api/v1/reports/pdf."""
    _, report = await _report_of(request)
    # Rendering is CPU work: off the event loop so calls keep flowing.
    pdf = await asyncio.to_thread(render_report_pdf, report)
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{_filename(report, "pdf")}"'},
    )


def setup_reports(app: web.Application) -> None:
    """Add the report routes to a hub application."""
    app.router.add_get("/api/v1/reports", get_report)
    app.router.add_get("/api/v1/reports/pdf", get_report_pdf)
