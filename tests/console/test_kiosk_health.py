"""The officer sees the kiosk's device state in the call: read from a real hub, shown as chips."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pytestqt.qtbot import QtBot

from backoffice_console.kiosk_health import fetch_kiosk_health, view_from_payload
from backoffice_console.ui.call_view import CallView
from shared.protocol import QueueJoin, TicketTake
from shared.protocol.health import CheckResult, CheckStatus, HealthReport
from shared.ui.screenshot import save_screenshot
from tests.support.qt_helpers import themed_fixture  # noqa: F401

if TYPE_CHECKING:
    from tests.support.hub_fixtures import HubHarness, Peer


WAIT = 10.0


def _report() -> HealthReport:
    def check(part: str, status: CheckStatus, message: str) -> CheckResult:
        return CheckResult(part=part, status=status, value="x", message=message)

    return HealthReport(
        at=datetime.now(UTC),
        software_version="0.1.0",
        checks=[
            check("idcard", CheckStatus.OK, "读卡器正常"),
            check("printer", CheckStatus.FAILED, "打印机 Kiosk 缺纸，请装纸后恢复打印"),
            check("doccam", CheckStatus.WARNING, "高拍仪画面中未找到测试卡"),
            check("face_camera", CheckStatus.OK, "摄像头正常"),
            check("audio.mic", CheckStatus.ABSENT, "未配置麦克风"),
            check("disk", CheckStatus.OK, "磁盘空间充足"),
        ],
    )


async def _in_call(hub: HubHarness) -> tuple[Peer, Peer, str]:
    officer = await hub.officer("o-health")
    kiosk = await hub.kiosk("K-health")
    await asyncio.wait_for(kiosk.client.request(QueueJoin(matter="civil.dbsq")), WAIT)
    ticket = (await kiosk.next("queue.status")).ticket_id
    await asyncio.wait_for(officer.client.request(TicketTake(ticket_id=ticket)), WAIT)
    session_id = (await kiosk.next("session.started")).session_id
    await officer.skip_to("session.started")
    return officer, kiosk, session_id


@pytest.mark.usefixtures("themed")
async def test_officer_sees_the_kiosk_devices_in_the_call(
    hub: HubHarness, qtbot: QtBot, test_output: Path
) -> None:
    officer, kiosk, session_id = await _in_call(hub)
    empty = await asyncio.wait_for(fetch_kiosk_health(officer.client, session_id), WAIT)
    assert empty.checks == [] and empty.error is None  # no report yet: nothing invented
    await asyncio.wait_for(
        kiosk.client.post_json("/api/v1/fleet/health", _report().model_dump(mode="json")), WAIT
    )
    view = await asyncio.wait_for(fetch_kiosk_health(officer.client, session_id), WAIT)
    assert [c.part for c in view.checks] == [
        "idcard",
        "doccam",
        "printer",
        "face_camera",
        "audio.mic",
    ]
    assert view.worst is CheckStatus.FAILED and view.received_at is not None
    # Another officer does not hold the session: refused, shown as "unavailable".
    other = await hub.officer("o-other")
    refused = await asyncio.wait_for(fetch_kiosk_health(other.client, session_id), WAIT)
    assert refused.error is not None and refused.checks == []

    call = CallView()
    qtbot.addWidget(call)
    call.resize(1200, 790)
    call.start_call("某某社区居委会 K-health")
    strip = call.kiosk_health
    spawned: list[asyncio.Task[None]] = []

    def spawn(coro: Any, _name: str) -> None:
        spawned.append(asyncio.ensure_future(coro))

    strip.follow(officer.client, session_id, spawn)
    await asyncio.wait_for(asyncio.gather(*spawned), WAIT)
    chips = {c.objectName(): c.text() for c in strip.chips}
    assert chips["chip_printer"] == "打印机 故障" and chips["chip_idcard"] == "身份证读卡器 正常"
    assert strip.note.text() == "打印机 Kiosk 缺纸，请装纸后恢复打印"
    save_screenshot(call, test_output / "console-call-kiosk-health.png")
    strip.stop()
    assert strip.chips == []


def test_malformed_payloads_show_nothing_invented() -> None:
    assert view_from_payload("nonsense").error == "malformed"
    assert view_from_payload({"report": {"checks": []}}).error == "malformed"
    assert view_from_payload({"kiosk_id": 1, "received_at": None, "report": None}).checks == []
