"""Reports through a real hub: figures against the events that made them, CSV, PDF, access."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import shutil
import statistics
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from backoffice_console.hub.accounts.models import Kiosk, ServicePoint, User
from backoffice_console.hub.calls.models import CallSession, Ticket
from backoffice_console.hub.cases.models import Case
from backoffice_console.hub.evaluation.models import Rating, Rectification
from shared.protocol import Role
from tests.support.hub_fixtures import PASSWORD, WAIT, HubHarness

D1, D2 = dt.date(2026, 11, 20), dt.date(2026, 11, 21)


def local(day: dt.date, hh: int, mm: int, ss: int = 0) -> dt.datetime:
    """A local wall-clock time of the hub's time zone, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(hh, mm, ss)).astimezone()


@dataclass(frozen=True)
class Event:
    """One handled case as it happened: the report must reproduce these figures."""

    opened: dt.datetime
    point: str
    officer: str
    line: str | None
    wait_s: int
    handling_s: int | None  # None: the call is still going on
    state: str
    rating: int | None = None
    rectification: str | None = None  # open | closed


EVENTS = [
    Event(local(D1, 10, 0), "东湖社区", "A", "civil", 600, 1200, "completed", 5),
    Event(local(D1, 11, 0), "东湖社区", "B", "civil", 120, 600, "accepted", 2, "open"),
    Event(local(D1, 15, 0), "西山公园服务点", "A", "hrss", 300, 900, "needs_more", 4),
    Event(local(D2, 9, 0), "西山公园服务点", "B", None, 60, None, "open"),
    Event(local(D2, 23, 59, 30), "东湖社区", "A", "hrss", 30, 300, "not_eligible", 1, "closed"),
    # Outside the period D1..D2 (local days): never counted.
    Event(local(D1, 0, 0) - dt.timedelta(seconds=1), "东湖社区", "A", "civil", 5, 5, "completed"),
    Event(local(D2 + dt.timedelta(days=1), 0, 0, 10), "东湖社区", "B", "civil", 5, 5, "open"),
]
IN_PERIOD = EVENTS[:5]


async def _seed(hub: HubHarness, officer_ids: Mapping[str, int]) -> None:
    """Write the events as the hub's own tables hold them (tickets, sessions, cases, ratings)."""
    async with hub.hub.db.session() as s, s.begin():
        points = {name: ServicePoint(name=name) for name in {e.point for e in EVENTS}}
        s.add_all(points.values())
        await s.flush()
        kiosks = {
            name: Kiosk(name=f"K {name}", point_id=p.id, secret_hash="x")
            for name, p in points.items()
        }
        s.add_all(kiosks.values())
        await s.flush()
        for i, e in enumerate(EVENTS):
            kiosk, officer = kiosks[e.point], officer_ids[e.officer]
            created = e.opened - dt.timedelta(seconds=e.wait_s)
            ticket = Ticket(
                kiosk_id=kiosk.id,
                created_at=created,
                state="taken",
                taken_at=e.opened,
                taken_by=officer,
                line=e.line,
            )
            s.add(ticket)
            await s.flush()
            ended = None if e.handling_s is None else e.opened + dt.timedelta(seconds=e.handling_s)
            session = CallSession(
                id=f"s{i}",
                ticket_id=ticket.id,
                kiosk_id=kiosk.id,
                officer_id=officer,
                started_at=e.opened,
                ended_at=ended,
            )
            s.add(session)
            await s.flush()
            case = Case(
                case_no=f"C{i:04d}",
                session_id=session.id,
                ticket_id=ticket.id,
                kiosk_id=kiosk.id,
                point_id=kiosk.point_id,
                officer_id=officer,
                line_code=e.line,
                state=e.state,
                opened_at=e.opened,
            )
            s.add(case)
            await s.flush()
            if e.rating is None:
                continue
            rating = Rating(
                session_id=session.id,
                case_id=case.id,
                level=e.rating,
                officer_id=officer,
                kiosk_id=kiosk.id,
                at=ended or e.opened,
            )
            s.add(rating)
            await s.flush()
            if e.rectification:
                s.add(
                    Rectification(
                        rating_id=rating.id,
                        session_id=session.id,
                        case_id=case.id,
                        deadline=D2 + dt.timedelta(days=21),
                        state=e.rectification,
                    )
                )


def expected_row(events: list[Event]) -> dict[str, Any]:
    """The figures a row must show, computed straight from the events."""
    waits = [e.wait_s for e in events]
    handled = [e.handling_s for e in events if e.handling_s is not None]
    rated = [e.rating for e in events if e.rating is not None]
    return {
        "cases": len(events),
        "waiting_median_s": float(statistics.median(waits)),
        "waiting_mean_s": round(sum(waits) / len(waits), 1),
        "handling_median_s": float(statistics.median(handled)) if handled else None,
        "handling_mean_s": round(sum(handled) / len(handled), 1) if handled else None,
        "outcomes": {
            o: sum(e.state == o for e in events)
            for o in ("open", "accepted", "completed", "needs_more", "not_eligible")
        },
        "ratings": {str(level): rated.count(level) for level in (5, 4, 3, 2, 1)},
        "rated": len(rated),
        "rating_mean": round(sum(rated) / len(rated), 2) if rated else None,
        "open_rectifications": sum(e.rectification == "open" for e in events),
    }


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("key", "label")}


def _check_pdf(pdf: Path, test_output: Path) -> None:
    """Fonts embedded (pdffonts), pages render (pdftoppm), the Chinese text is there."""
    if not (shutil.which("pdffonts") and shutil.which("pdftoppm")):
        pytest.fail("poppler-utils is required (installer/packages-test.txt)")
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    font_lines = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert font_lines and any("MicroHei" in line for line in font_lines)
    assert all(" yes " in line for line in font_lines), fonts  # every font embedded
    subprocess.run(
        ["pdftoppm", "-r", "80", "-png", str(pdf), str(test_output / "report")],
        check=True,
        timeout=60,
    )
    assert list(test_output.glob("report*.png"))
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    assert "办件统计报表" in text and "东湖社区" in text and "合计" in text


async def _get(hub: HubHarness, token: str, path: str, **params: str) -> tuple[int, bytes, Any]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=hub.ssl())) as session:
        async with asyncio.timeout(WAIT * 3):
            resp = await session.get(
                hub.url + path, params=params, headers={"Authorization": f"Bearer {token}"}
            )
            return resp.status, await resp.read(), resp.headers.copy()


async def _login(hub: HubHarness, username: str, role: Role) -> tuple[int, str]:
    user_id = await hub.user(username, role)
    token, _ = await hub.hub.accounts.login(username, PASSWORD)
    return user_id, token.token


async def _scenario(hub: HubHarness) -> tuple[str, str]:
    """Seed the events; the supervisor's and officer A's tokens."""
    a_id, a_token = await _login(hub, "a", Role.OFFICER)
    _, sup_token = await _login(hub, "sup", Role.SUPERVISOR)
    async with hub.hub.db.session() as s, s.begin():
        b = User(username="b", display_name="坐席乙", password_hash="!", role="officer")
        s.add(b)
        await s.flush()
        b_id = b.id
    await _seed(hub, {"A": a_id, "B": b_id})
    return sup_token, a_token


async def test_report_figures_match_the_events(hub: HubHarness, test_output: Path) -> None:
    sup, officer_a = await _scenario(hub)
    period = {"from": D1.isoformat(), "to": D2.isoformat()}

    status, body, _ = await _get(hub, sup, "/api/v1/reports", by="day", **period)
    assert status == 200, body
    report = json.loads(body)
    assert report["scope"] == "all" and [r["key"] for r in report["rows"]] == [
        "2026-11-20",
        "2026-11-21",
    ]
    for row in report["rows"]:
        day = dt.date.fromisoformat(row["key"])
        events = [e for e in IN_PERIOD if e.opened.date() == day]
        assert _figures(row) == expected_row(events), row["key"]
    assert _figures(report["total"]) == expected_row(IN_PERIOD)
    assert report["rows"][0]["waiting_median_s"] == 300.0  # 600, 120, 300 seconds
    assert report["total"]["open_rectifications"] == 1  # the closed one is not counted

    status, body, _ = await _get(hub, sup, "/api/v1/reports", by="line", **period)
    rows = {r["key"]: r for r in json.loads(body)["rows"]}
    assert set(rows) == {"civil", "hrss", ""}
    assert rows["civil"]["label"] == "民政" and rows[""]["label"] == "（未定条线）"
    for key, row in rows.items():
        assert _figures(row) == expected_row([e for e in IN_PERIOD if (e.line or "") == key])

    status, body, _ = await _get(hub, sup, "/api/v1/reports", by="point", **period)
    rows = {r["label"]: r for r in json.loads(body)["rows"]}
    for name, row in rows.items():
        assert _figures(row) == expected_row([e for e in IN_PERIOD if e.point == name])
    assert set(rows) == {"东湖社区", "西山公园服务点"}

    # An officer sees only the cases he or she holds, whatever is asked.
    status, body, _ = await _get(hub, officer_a, "/api/v1/reports", by="officer", **period)
    own = json.loads(body)
    assert own["scope"] == "own" and [r["label"] for r in own["rows"]] == ["a"]
    assert _figures(own["total"]) == expected_row([e for e in IN_PERIOD if e.officer == "A"])

    # One day only; the case 30 s before midnight still counts on its own day.
    status, body, _ = await _get(
        hub, sup, "/api/v1/reports", by="officer", **{"from": "2026-11-21"}
    )
    one = json.loads(body)
    assert one["to"] == "2026-11-21" and one["total"]["cases"] == 2

    # CSV for Excel: BOM, Chinese header, one line per group plus the total.
    status, body, headers = await _get(
        hub, sup, "/api/v1/reports", by="day", format="csv", **period
    )
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert table[0][:3] == ["分组", "办件数", "等候中位数（分钟）"]
    assert [r[0] for r in table[1:]] == ["2026-11-20", "2026-11-21", "合计"]
    assert table[1][1:3] == ["3", "5.0"] and table[-1][1] == "5"
    (test_output / "report.csv").write_bytes(body)

    # PDF with charts: it renders, and its Chinese fonts are embedded.
    status, body, headers = await _get(hub, sup, "/api/v1/reports/pdf", by="point", **period)
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert body.startswith(b"%PDF")
    pdf = test_output / "report.pdf"
    pdf.write_bytes(body)
    await asyncio.to_thread(_check_pdf, pdf, test_output)


async def test_report_access_and_bad_input(hub: HubHarness) -> None:
    _, sup = await _login(hub, "sup", Role.SUPERVISOR)
    _, tech = await _login(hub, "tech", Role.TECHNICIAN)
    status, body, _ = await _get(hub, tech, "/api/v1/reports")
    assert status == 403 and json.loads(body)["code"] == "forbidden"
    status, _, _ = await _get(hub, tech, "/api/v1/reports/pdf")
    assert status == 403
    status, _, _ = await _get(hub, "nope", "/api/v1/reports")
    assert status == 401
    for params, fragment in (
        ({"from": "2026-13-01"}, "YYYY-MM-DD"),
        ({"from": "2026-11-21", "to": "2026-11-20"}, "before"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "at most"),
        ({"by": "weather"}, "by must be"),
        ({"format": "xml"}, "format"),
    ):
        status, body, _ = await _get(hub, sup, "/api/v1/reports", **params)
        assert status == 400 and fragment in json.loads(body)["message"], (params, body)
    # An empty period is a report with no rows, also as a PDF.
    status, body, _ = await _get(hub, sup, "/api/v1/reports", **{"from": "2020-01-01"})
    empty = json.loads(body)
    assert status == 200 and empty["rows"] == [] and empty["total"]["cases"] == 0
    assert empty["total"]["waiting_median_s"] is None
    status, body, _ = await _get(hub, sup, "/api/v1/reports/pdf", **{"from": "2020-01-01"})
    assert status == 200 and body.startswith(b"%PDF")


@pytest.fixture
def test_output(test_output: Path) -> Path:
    """This module's files in their own folder of the shared test output."""
    folder = test_output / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
