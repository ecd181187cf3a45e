"""The technician's health checks against the real stacks: cupsd with the scripted backend,
pcscd with vpcd, the pty SAM simulator, video files as cameras, a real hub and a closed port."""

from __future__ import annotations

import asyncio
import os
import pty
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from kiosk.devices.doccam import DocumentCameraConfig
from kiosk.devices.idcard import IdCardReaderConfig
from kiosk.devices.printer import CupsPrinter
from kiosk.health.base import Check, result, run_checks
from kiosk.health.config import HealthSection
from kiosk.health.devices import check_doccam, check_face_camera, check_idcard, check_printer
from kiosk.health.monitor import unavailable_from
from kiosk.health.network import check_hub, check_turn
from kiosk.health.system import check_backlog, check_disk, check_screens
from shared.catalogue.model import Catalogue
from shared.media import open_video_source
from shared.media.config import VideoSourceConfig
from shared.protocol.health import CheckResult, CheckStatus
from tests.kiosk.health.media import SIZE, write_video
from tests.support.sam_simulator import SamSimulator
from tests.support.synthetic_pages import blurred_frame, page_frame
from tests.support.vpcd_cards import READER_NAME

if TYPE_CHECKING:
    from tests.support.cups_fixtures import CupsServer
    from tests.support.hub_fixtures import HubHarness

LIMIT = 20.0


@pytest.fixture(scope="module")
def card_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A document camera looking at a sharp test card."""
    image = page_frame(301, SIZE).image
    return write_video(tmp_path_factory.mktemp("health") / "card.avi", [image] * 4)


# --- printer on cupsd ------------------------------------------------------------------


async def test_printer_missing_queue_fails(cups_server: CupsServer) -> None:
    printer = CupsPrinter("NO_SUCH_QUEUE", cups_server.server)
    try:
        outcome = await asyncio.wait_for(check_printer(printer), LIMIT)
    finally:
        await printer.close()
    assert outcome.status is CheckStatus.FAILED and "打印服务" in outcome.message


# --- card readers ------------------------------------------------------------------------


@pytest.mark.usefixtures("pcscd")
async def test_pcsc_reader_present_and_absent() -> None:
    present = await asyncio.wait_for(
        check_idcard(IdCardReaderConfig(backend="pcsc", reader=READER_NAME)), LIMIT
    )
    assert present.status is CheckStatus.OK, present
    assert READER_NAME in (present.value or "") and "readers:" in (present.value or "")
    missing = await asyncio.wait_for(
        check_idcard(IdCardReaderConfig(backend="pcsc", reader="Nonexistent Reader 99")), LIMIT
    )
    assert missing.status is CheckStatus.FAILED and "读卡器" in missing.message


@pytest.fixture
def sim() -> Iterator[SamSimulator]:
    simulator = SamSimulator()
    yield simulator
    simulator.close()


async def test_sam_serial_reports_sam_id_and_a_silent_port_fails(sim: SamSimulator) -> None:
    good = await asyncio.wait_for(
        check_idcard(IdCardReaderConfig(backend="sam-serial", port=sim.path)), LIMIT
    )
    assert good.status is CheckStatus.OK, good
    assert sim.path in (good.value or "") and "SAM 05.01" in (good.value or "")
    master, slave = pty.openpty()  # a port where nothing answers
    try:
        silent = await asyncio.wait_for(
            check_idcard(
                IdCardReaderConfig(
                    backend="sam-serial", port=os.ttyname(slave), io_timeout=0.1, retries=0
                )
            ),
            LIMIT,
        )
    finally:
        os.close(master)
        os.close(slave)
    assert silent.status is CheckStatus.FAILED and "no SAM" in silent.message
    manual = await check_idcard(IdCardReaderConfig(backend="manual"))
    assert manual.status is CheckStatus.ABSENT


# --- cameras -------------------------------------------------------------------------------


async def test_video_file_face_camera_fps_is_measured(card_video: Path, tmp_path: Path) -> None:
    source = open_video_source(VideoSourceConfig(kind="file", path=str(card_video), fps=10))
    outcome = await asyncio.wait_for(check_face_camera(source, 10), LIMIT)
    assert outcome.status is CheckStatus.OK, outcome
    assert outcome.value is not None and outcome.value.startswith("640x480 @ ")
    fps = float(outcome.value.split("@ ")[1].split()[0])
    assert 0 < fps <= 11.0, outcome.value  # measured; never above the file's 10 fps
    assert not source.running  # the check closed what it opened
    gone = open_video_source(VideoSourceConfig(kind="file", path=str(tmp_path / "none.avi")))
    broken = await asyncio.wait_for(check_face_camera(gone, 10), LIMIT)
    assert broken.status is CheckStatus.FAILED and "摄像头" in broken.message


async def test_document_camera_focus_score_on_test_card(card_video: Path, tmp_path: Path) -> None:
    sharp = await asyncio.wait_for(
        check_doccam(DocumentCameraConfig(backend="file", path=str(card_video))), LIMIT
    )
    assert sharp.status is CheckStatus.OK, sharp
    assert sharp.value is not None and sharp.value.startswith("960x540; focus ")
    focus = float(sharp.value.split("focus ")[1].split()[0])
    assert focus > 20.0
    blurred_video = write_video(
        tmp_path / "blur.avi", [blurred_frame(301, sigma=4.0, size=SIZE).image] * 4
    )
    blurred = await asyncio.wait_for(
        check_doccam(
            DocumentCameraConfig(backend="file", path=str(blurred_video)), baseline=focus * 2
        ),
        LIMIT,
    )
    assert blurred.status is CheckStatus.WARNING and "对焦" in blurred.message, blurred
    unset = await check_doccam(DocumentCameraConfig(backend="v4l2"))
    assert unset.status is CheckStatus.ABSENT
    missing = await asyncio.wait_for(
        check_doccam(DocumentCameraConfig(backend="file", path=str(tmp_path / "none.avi"))), LIMIT
    )
    assert missing.status is CheckStatus.FAILED


# --- hub and TURN --------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_hub_reachable_with_tls_days_and_closed_port_fails(hub: HubHarness) -> None:
    limits = HealthSection()
    up = await asyncio.wait_for(check_hub(hub.url, hub.ca, limits), LIMIT)
    assert up.status is CheckStatus.OK, up
    assert up.value is not None and "days left" in up.value and "skew" in up.value
    days = float(up.value.split("TLS ")[1].split()[0])
    assert 1 < days < 20_000
    down_url = f"https://127.0.0.1:{_closed_port()}"
    down = await asyncio.wait_for(check_hub(down_url, hub.ca, limits), LIMIT)
    assert down.status is CheckStatus.FAILED and "无法连接" in down.message
    # A CA that did not sign the hub's certificate: refused as a TLS problem.
    wrong_ca = await asyncio.wait_for(check_hub(hub.url, None, limits), LIMIT)
    assert wrong_ca.status is CheckStatus.FAILED and "证书" in wrong_ca.message


async def test_turn_not_present_without_server_and_failed_when_unreachable() -> None:
    assert (await check_turn(HealthSection())).status is CheckStatus.ABSENT
    limits = HealthSection(turn_url=f"turns:127.0.0.1:{_closed_port()}", turn_username="u")
    outcome = await asyncio.wait_for(check_turn(limits), LIMIT)
    assert outcome.status is CheckStatus.FAILED


# --- runner, machine checks, the offer -------------------------------------------------------


async def test_one_hanging_or_broken_check_never_stops_the_others(tmp_path: Path) -> None:
    async def hangs() -> CheckResult:
        await asyncio.sleep(60)  # not a wait: a check that hangs
        raise AssertionError("not reached")

    async def breaks() -> CheckResult:
        raise RuntimeError("driver crashed")

    async def fine() -> CheckResult:
        return check_disk(tmp_path, 0, 0)

    outcomes = await asyncio.wait_for(
        run_checks([Check("printer", hangs), Check("idcard", breaks), Check("disk", fine)], 0.3),
        LIMIT,
    )
    assert [o.part for o in outcomes] == ["printer", "idcard", "disk"]
    assert outcomes[0].status is CheckStatus.FAILED and "0.3" in outcomes[0].message
    assert outcomes[1].status is CheckStatus.FAILED and "driver crashed" in outcomes[1].message
    assert outcomes[2].status is CheckStatus.OK
    full = check_disk(tmp_path, 0, 10**12)
    assert full.status is CheckStatus.FAILED
    assert check_backlog("outbox", 25, 20).status is CheckStatus.WARNING
    assert check_backlog("outbox", 3, 20).value == "3"


async def test_screens_need_two_and_the_configured_names() -> None:
    async def two() -> list[str]:
        return ["HDMI-1", "DSI-1"]

    async def one() -> list[str]:
        return ["HDMI-1"]

    assert (await check_screens(two, "HDMI-1", "DSI-1")).status is CheckStatus.OK
    assert (await check_screens(two, "HDMI-2", "DSI-1")).status is CheckStatus.WARNING
    assert (await check_screens(one, "HDMI-1", "DSI-1")).status is CheckStatus.FAILED


def _catalogue() -> Catalogue:
    sample = Path(__file__).resolve().parents[3] / "assets" / "catalogue" / "sample.json"
    if sample.exists():
        return Catalogue.model_validate_json(sample.read_text(encoding="utf-8"))
    return Catalogue.model_validate(
        {
            "version": "test",
            "lines": [{"code": "civil", "name": "民政"}],
            "matters": [
                {"code": "cert", "line": "civil", "name": "开具证明", "devices": ["printer"]},
                {"code": "ask", "line": "civil", "name": "政策咨询", "devices": []},
                {"code": "id", "line": "civil", "name": "身份核验", "devices": ["idcard"]},
            ],
        }
    )


def test_failed_printer_hides_the_printer_matters_only() -> None:
    checks = [
        result("printer", CheckStatus.FAILED, "printer.paper_out", printer="Kiosk"),
        result("idcard", CheckStatus.OK, "idcard.ok", reader="r"),
        result("doccam", CheckStatus.WARNING, "doccam.no_card"),
        result("hub", CheckStatus.FAILED, "hub.unreachable", detail="x"),
    ]
    unavailable = unavailable_from(checks)
    assert unavailable == {"printer"}
    catalogue = _catalogue()
    offered = catalogue.offered(unavailable)
    needs_printer = [o for o in offered if "printer" in o.matter.devices]
    assert needs_printer and all(not o.available for o in needs_printer)
    assert all(o.missing_devices == ("printer",) for o in needs_printer)
    others = [o for o in offered if "printer" not in o.matter.devices and o.matter.remote]
    assert others and all(o.available for o in others)
    absent = unavailable_from([result("doccam", CheckStatus.ABSENT, "doccam.not_configured")])
    assert absent == {"doccam"}
