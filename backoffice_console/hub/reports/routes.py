"""The report routes (issue 6): `GET /api/v1/reports` (JSON or CSV) and `/api/v1/reports/pdf`.

Who sees what, and what the figures mean: see service.py. Each read is audited.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from backoffice_console.hub.catalogue import CATALOGUE_KEY
from backoffice_console.hub.core.access import CASE_WORKERS, allow
from backoffice_console.hub.core.caller import principal_of
from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.http import Raw, json_reply, wire
from backoffice_console.hub.reports.pdf import render_report_pdf
from backoffice_console.hub.reports.service import (
    READERS,
    REPORTS_KEY,
    Report,
    Reports,
    parse_period,
    report_csv,
)
from shared.protocol import ErrorCode
from shared.protocol.reports import Report as ReportReply

routes = web.RouteTableDef()


async def _report_of(request: web.Request) -> Report:
    who = await principal_of(request)
    if who.role not in READERS:
        raise HubError(ErrorCode.FORBIDDEN, "only supervisors, admins and officers")
    start, end = parse_period(request.query.get("from"), request.query.get("to"))
    by = request.query.get("by", "day")
    return await request.app[REPORTS_KEY].read(who, start, end, by)


def _filename(report: Report, suffix: str) -> str:
    return f"report-{report.start.isoformat()}-{report.end.isoformat()}-{report.by}.{suffix}"


@routes.get("/api/v1/reports")
@wire(request=None, response=ReportReply, alternative=Raw("text/csv"))
@allow(*CASE_WORKERS)
async def get_report(request: web.Request) -> web.Response:
    """GET /api/v1/reports: the `Report` JSON, or with `?format=csv` its rows as CSV."""
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "csv"):
        raise HubError(ErrorCode.BAD_MESSAGE, "format must be json or csv")
    report = await _report_of(request)
    if fmt == "csv":
        return web.Response(
            body=report_csv(report),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{_filename(report, "csv")}"'},
        )
    return json_reply(report.to_json())


@routes.get("/api/v1/reports/pdf")
@wire(request=None, response=Raw("application/pdf"))
@allow(*CASE_WORKERS)
async def get_report_pdf(request: web.Request) -> web.Response:
    """GET /api/v1/reports/pdf."""
    report = await _report_of(request)
    # Rendering is CPU work: off the event loop so calls keep flowing.
    pdf = await asyncio.to_thread(render_report_pdf, report)
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{_filename(report, "pdf")}"'},
    )


def setup(app: web.Application) -> None:
    """The reports service (over the current catalogue's lines) and its routes."""
    core = app[CORE_KEY]
    app[REPORTS_KEY] = Reports(core.db, app[CATALOGUE_KEY], core.audit)
    app.add_routes(routes)
