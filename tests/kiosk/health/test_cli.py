"""`vw-health` as a subprocess on a demo-like kiosk config, and the kiosk's HealthMonitor,
against a real hub, a private cupsd with the scripted backend and video-file cameras."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from kiosk.config import load_kiosk_config
from kiosk.devices.printer import CupsPrinter, PrinterState, PrintOptions
from kiosk.health.base import PARTS
from kiosk.health.cli import format_table, main, send_report
from kiosk.health.devices import check_printer
from kiosk.health.monitor import HealthMonitor
from kiosk.health.suite import HealthSuite
from shared.catalogue.model import Catalogue
from shared.documents import render_receipt
from shared.hubclient import HubClient, HubUnavailable
from shared.protocol import Role
from shared.protocol.health import CheckStatus, HealthReport
from tests.kiosk.health.media import write_video
from tests.support import document_samples as samples
from tests.support.hub_fixtures import PASSWORD
from tests.support.synthetic_pages import page_frame

if TYPE_CHECKING:
    from tests.support.cups_fixtures import CupsServer
    from tests.support.hub_fixtures import HubHarness


LIMIT = 60.0
ROOT = Path(__file__).resolve().parents[3]


def _write_config(tmp: Path, hub: HubHarness, printer: str, server: str) -> Path:
    card = write_video(tmp / "card.avi", [page_frame(302).image] * 4)
    (tmp / "kiosk.toml").write_text(
        f"""
[hub]
url = "{hub.url}"
ca_file = "{hub.ca}"
[kiosk]
name = "kiosk-health"
credential_file = "credential.json"
state_dir = "state"
[camera]
kind = "file"
path = "{card}"
fps = 10
[idcard]
backend = "simulated"
[printer]
backend = "cups"
name = "{printer}"
server = "{server}"
[doccam]
backend = "file"
path = "{card}"
[health]
timeout_s = 15
""",
        encoding="utf-8",
    )
    (tmp / "screens.json").write_text(
        json.dumps(
            {
                "screens": [
                    {"name": n, "x": x, "y": 0, "width": 1280, "height": 800, "logicalDpi": 96}
                    for n, x in (("face", 0), ("touch", 1280))
                ]
            }
        )
    )
    return tmp / "kiosk.toml"


async def _vw_health(config: Path, *args: str) -> tuple[int, str, str]:
    env = {
        "QT_QPA_PLATFORM": f"offscreen:configfile={config.parent / 'screens.json'}",
        "PATH": "/usr/bin:/bin",
        "HOME": str(config.parent),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kiosk.health",
        "--config",
        str(config),
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), LIMIT)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def _admin(hub: HubHarness) -> HubClient:
    await hub.user("admin-h", Role.ADMIN)

    async def ignore(_: Any) -> None:
        return None

    client = HubClient(hub.url, hub.ca, ignore)
    await client.login_officer("admin-h", PASSWORD)
    return client


async def test_vw_health_json_every_part_exit_codes_and_report(
    hub: HubHarness, cups_server: CupsServer, own_queue: tuple[str, Path], tmp_path: Path
) -> None:
    name, state = own_queue
    config = _write_config(tmp_path, hub, name, cups_server.server)
    (await hub.kiosk_credential("kiosk-health")).save(tmp_path / "credential.json")

    code, out, err = await _vw_health(config, "--json", "--report")
    report = HealthReport.model_validate_json(out)
    assert [c.part for c in report.checks] == list(PARTS), err
    by_part = {c.part: c for c in report.checks}
    assert code == 0, (out, err)
    assert not report.failed_parts()
    assert by_part["screens"].value == "face, touch" and by_part["screens"].status == "ok"
    assert by_part["printer"].status is CheckStatus.OK
    assert by_part["doccam"].status is CheckStatus.OK and "focus" in (by_part["doccam"].value or "")
    assert by_part["hub"].status is CheckStatus.OK
    assert by_part["audio.mic"].status is CheckStatus.ABSENT
    assert by_part["turn"].status is CheckStatus.ABSENT
    raw = json.loads(out)
    assert set(raw) == {"at", "software_version", "checks"}
    assert all(set(c) == {"part", "status", "value", "message"} for c in raw["checks"])

    # Paper runs out while a job waits: the check fails, the exit status is 1.
    state.write_text("media-empty")
    printer = CupsPrinter(name, cups_server.server)
    try:
        await printer.print_pdf(render_receipt(samples.receipt()).pdf, PrintOptions(title="h"))
        async with asyncio.timeout(LIMIT):
            while (await printer.status()).state is not PrinterState.PAPER_OUT:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
    finally:
        await printer.close()
    code, out, err = await _vw_health(config, "--json", "--report", "--lang", "en")
    assert code == 1, (out, err)
    failed = HealthReport.model_validate_json(out)
    assert failed.failed_parts() == {"printer"}
    printer_check = next(c for c in failed.checks if c.part == "printer")
    assert "out of paper" in printer_check.message

    # The hub got both reports and opened a work order for the printer.
    admin = await _admin(hub)
    try:
        orders = await admin.get_json("/api/v1/fleet/work-orders", state="open")
    finally:
        await admin.close()
    text = json.dumps(orders, ensure_ascii=False)
    assert "printer" in text, text[:500]

    # In-process, in Chinese (the default): the same failed check, and the human table.
    printer = CupsPrinter(name, cups_server.server)
    try:
        direct = await asyncio.wait_for(check_printer(printer, backlog=1), LIMIT)
    finally:
        await printer.close()
    assert (
        direct.status is CheckStatus.FAILED and "缺纸" in direct.message and name in direct.message
    )
    assert "paper_out" in (direct.value or "") and "queued 1" in (direct.value or "")
    table = format_table(failed.model_copy(update={"checks": [direct]}))
    assert "打印机" in table and "故障" in table and "缺纸" in table


def test_bad_command_line_and_config_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[health]\ninterval_s = -1\n")
    assert main(["--config", str(bad), "--json"]) == 2
    assert "interval_s" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["--only", "toaster"])
    assert exit_info.value.code == 2 and "toaster" in capsys.readouterr().err


async def test_monitor_reports_to_hub_and_hides_printer_matters(
    hub: HubHarness, cups_server: CupsServer, tmp_path: Path
) -> None:
    (tmp_path / "kiosk.toml").write_text(
        f"""
[hub]
url = "{hub.url}"
ca_file = "{hub.ca}"
[idcard]
backend = "simulated"
[printer]
backend = "cups"
name = "NO_SUCH_PRINTER"
server = "{cups_server.server}"
[doccam]
backend = "v4l2"
""",
        encoding="utf-8",
    )
    config = load_kiosk_config(tmp_path / "kiosk.toml")
    credential = await hub.kiosk_credential("kiosk-monitor")

    async def ignore(_: Any) -> None:
        return None

    client = HubClient(hub.url, hub.ca, ignore)
    await client.login_device(credential)

    async def send(report: HealthReport) -> None:
        await send_report(client, report)

    monitor = HealthMonitor(HealthSuite(config), send, interval=3600)
    try:
        assert monitor.unavailable_devices() == set()  # nothing known before the first run
        report = await asyncio.wait_for(
            monitor.run_once(only=["idcard", "printer", "doccam", "version"]), LIMIT
        )
        assert monitor.sent == 1 and monitor.send_error is None
        assert report.failed_parts() == {"printer"}
        assert monitor.unavailable_devices() == {"printer", "doccam"}
        # A later partial run updates only its parts.
        await asyncio.wait_for(monitor.run_once(only=["version"], send=False), LIMIT)
        assert {c.part for c in monitor.latest.checks} == {"idcard", "printer", "doccam", "version"}  # type: ignore[union-attr]
    finally:
        await monitor.close()
        await client.close()
    catalogue = _catalogue()
    offered = {o.matter.code: o for o in catalogue.offered(monitor.unavailable_devices())}
    for o in offered.values():
        needs = set(o.matter.devices) & {"printer", "doccam"}
        assert o.available is (o.matter.remote and not needs), o
    assert any(not o.available for o in offered.values())


async def test_monitor_resends_a_missed_report_and_waits_while_busy(tmp_path: Path) -> None:
    (tmp_path / "kiosk.toml").write_text('[idcard]\nbackend = "simulated"\n')
    config = load_kiosk_config(tmp_path / "kiosk.toml")
    received: list[HealthReport] = []
    attempts: list[int] = []

    async def flaky(report: HealthReport) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise HubUnavailable("hub not logged in yet")
        received.append(report)

    suite = HealthSuite(config)
    parts = ["version", "idcard"]
    monitor = HealthMonitor(suite, flaky, interval=60, resend_s=0.05, parts=parts)
    busy = HealthMonitor(suite, flaky, interval=60, busy=lambda: True, parts=parts)
    monitor.start()
    busy.start()
    try:
        async with asyncio.timeout(LIMIT):
            while not received:  # noqa: ASYNC110 - the monitor's own loop delivers it
                await asyncio.sleep(0.05)
    finally:
        await monitor.close()
        await busy.close()
    assert len(received) == 1 and monitor.sent == 1 and monitor.send_error is None
    assert received[0].checks == monitor.latest.checks  # type: ignore[union-attr]
    assert busy.latest is None  # in a call: no run at all


def _catalogue() -> Catalogue:
    sample = ROOT / "assets" / "catalogue" / "sample.json"
    if sample.exists():
        return Catalogue.model_validate_json(sample.read_text(encoding="utf-8"))
    return Catalogue.model_validate(
        {
            "version": "test",
            "lines": [{"code": "civil", "name": "民政"}],
            "matters": [
                {"code": "cert", "line": "civil", "name": "开具证明", "devices": ["printer"]},
                {"code": "ask", "line": "civil", "name": "政策咨询", "devices": []},
            ],
        }
    )
