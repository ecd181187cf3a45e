"""原件交接 at the kiosk: slip QR of a photographed slip, hops through a real hub, the page."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtWidgets import QApplication

from backoffice_console.hub.circulation.models import Circulation, CirculationHop
from kiosk.slips import CODE_RE, SlipDesk, find_slip_qr, parse_slip_payload
from kiosk.ui.slips_page import SlipsPage
from shared import i18n
from shared.assets import assets_dir
from shared.documents import RenderOptions, render_slip
from shared.hubclient import HubRequestError
from shared.ui.screenshot import save_screenshot
from tests.hub.circulation.test_routes import SCAN, rows, scan, slip_call, wait
from tests.kiosk.test_cases_ui import restore, themed  # noqa: F401
from tests.kiosk.test_progress import PhotoCamera
from tests.kiosk.test_ui import _make, _run
from tests.support import document_samples as samples
from tests.support.hub_fixtures import HubHarness
from tests.support.synthetic_pages import photographed_pdf
from tests.support.waiting import until

CODE = "LZ-SL20261122-000123"
CASE_NO = "SL20261122-000123"


def slip_photo(tmp_path: Path) -> np.ndarray:
    """A printed transmittal slip photographed tilted on a grey desk."""
    slip = samples.slip(slip_number=CODE, case_number=CASE_NO)
    pdf = render_slip(slip, RenderOptions(created=samples.FIXED)).pdf
    corners = [(160, 150), (140, 130), (130, 160), (150, 170)]
    return photographed_pdf(pdf, tmp_path, corners, seed=5)


def test_payload_rules_and_a_photographed_slip(tmp_path: Path) -> None:
    assert parse_slip_payload(f"RVW-SLIP:{CODE}:{CASE_NO}") == CODE
    for other in (f"RVW-CASE:{CASE_NO}", "RVW-SLIP:LZ-1:SL1", f"LZ-{CASE_NO}", "RVW-SLIP:", ""):
        assert parse_slip_payload(other) is None, other
    photo = slip_photo(tmp_path)
    # The slip also carries one QR code per item: the slip's own code is the one found.
    assert find_slip_qr(photo) == CODE

    async def camera() -> PhotoCamera:
        return PhotoCamera(photo)

    desk = SlipDesk(lambda: None, camera)
    for key in "123":
        desk.key(key)
    assert asyncio.run(desk.scan()) is True
    assert desk.code == CODE and desk.ready() and desk.notice_key == "scan.found"
    assert desk.message()[0] == f"已读取交接单 {CODE}，请选择交接环节。"
    desk.key("4")  # typing replaces the scanned code
    assert desk.code == "LZ-SL4" and not desk.ready()

    async def blank() -> PhotoCamera:
        return PhotoCamera(np.full((600, 800, 3), 200, np.uint8))

    desk = SlipDesk(lambda: None, blank)
    assert asyncio.run(desk.scan()) is False and desk.error_key == "scan.none"
    assert desk.code == "LZ-SL" and desk.scanned is None
    assert asyncio.run(SlipDesk(lambda: None).scan()) is False  # no document camera


def typed(desk: SlipDesk, code: str) -> None:
    desk.clear()
    for key in code.replace("LZ-SL", "").replace("-", ""):
        desk.key(key)


async def test_hops_recorded_and_refused_through_the_hub(hub: HubHarness) -> None:
    officer, kiosk, _, circ = await slip_call(hub, "s1")
    assert CODE_RE.match(circ.code), circ.code
    desk = SlipDesk(lambda: kiosk.client)

    async def record(hop: str) -> bool:
        return await asyncio.wait_for(desk.record(hop), 10)

    async def state() -> tuple[str, int]:
        (row,) = await rows(hub, Circulation)
        return row.state, len(await rows(hub, CirculationHop))

    # Incomplete code, a hop the kiosk may not record: refused here, nothing sent.
    for key in "2026":
        desk.key(key)
    assert not await record("at_point") and desk.error_key == "error.bad_code"
    typed(desk, circ.code)
    assert desk.code == circ.code
    assert not await record("with_courier") and desk.error_key == "error.bad_hop"
    # Out of order: the hub's current state and expected hop are shown in words.
    assert not await record("returned_to_point")
    assert desk.error_key == "error.out_of_order"
    assert desk.message() == ("不能登记：原件当前状态为「已开单（服务点尚未签收）」，"
                              "下一步应为「在服务点」。", "error")  # fmt: skip
    assert await state() == ("issued", 0)

    assert await record("at_point")
    assert desk.result is not None and desk.result.state == "at_point"
    assert desk.message() == (f"已登记：服务点已收到原件（{circ.code}）。", "done")
    assert await state() == ("at_point", 1)
    assert not await record("at_point")  # the same hop twice
    assert desk.message()[0].endswith("下一步应为「快递员已揽收」。")
    assert desk.result is None and await state() == ("at_point", 1)

    # A slip of another point, and a code that does not exist.
    far = await hub.kiosk("K-far", point="另一个社区")
    other = SlipDesk(lambda: far.client)
    typed(other, circ.code)
    assert not await asyncio.wait_for(other.record("returned_to_point"), 10)
    assert other.error_key == "error.forbidden"
    typed(desk, "LZ-SL20990101-999999")
    assert not await record("at_point") and desk.error_key == "error.not_found"
    assert await state() == ("at_point", 1)

    # The centre's hops, then the originals come back and go home; the QR text is accepted too.
    for hop in ("with_courier", "at_centre"):
        await wait(officer.client.post_json(SCAN, scan(circ.code, hop)))
    desk.clear()
    desk.scanned = parse_slip_payload(f"RVW-SLIP:{circ.code}:{circ.case_no}")
    assert await record("returned_to_point") and await record("returned_to_resident")
    assert await state() == ("returned_to_resident", 5)
    assert not await record("returned_to_resident") and desk.error_key == "error.finished"
    # No hub to ask.
    alone = SlipDesk(lambda: None, scanned=circ.code)
    assert not await asyncio.wait_for(alone.record("at_point"), 1)
    assert alone.error_key == "error.unreachable"


class ScriptedHub:
    """Answers the scan the way the hub does: the first hop recorded, then 409."""

    def __init__(self) -> None:
        self.asked: list[dict[str, Any]] = []

    async def post_json(self, path: str, payload: dict[str, Any]) -> Any:
        assert path == "/api/v1/circulation/scan"
        self.asked.append(payload)
        if len(self.asked) > 1:
            body = {"code": "conflict", "message": "out of order", "state": "at_point",
                    "expected": "with_courier"}  # fmt: skip
            raise HubRequestError("conflict", "out of order", body)
        return {
            "id": 1, "code": payload["code"], "case_no": payload["code"][3:],
            "session_id": "s1", "state": payload["hop"], "next": "with_courier",
            "location": "幸福社区居委会", "items": [], "created_at": "2026-11-22T01:30:00+00:00",
            "state_at": "2026-11-22T02:00:00+00:00", "overdue": False, "limit_workdays": 2,
        }  # fmt: skip


async def test_slips_page(qtbot: Any, restore: QApplication, test_output: Path) -> None:  # noqa: F811
    themed(restore, "default")
    hub = ScriptedHub()
    desk = SlipDesk(lambda: hub)
    page = SlipsPage()
    qtbot.addWidget(page)
    page.resize(1280, 640)  # the touch screen below the header
    page.show()
    page.follow(desk)
    assert page.minimumSizeHint().height() <= 660
    page.hop_requested.connect(lambda hop: asyncio.ensure_future(desk.record(hop)))
    assert not any(b.isEnabled() for b in page.hop_buttons.values())  # no code yet
    for key in "20261122000123":
        page.key_buttons[key].click()
    assert page.code_field.text().startswith(CODE)
    assert all(b.isEnabled() for b in page.hop_buttons.values())
    for button in (*page.key_buttons.values(), *page.hop_buttons.values()):
        assert button.height() >= 56 and button.width() >= 120  # big targets
    save_screenshot(page, test_output / "kiosk-slips-entry.png")
    page.hop_buttons["at_point"].click()
    await until(page.message.text, "the hub's answer")
    assert hub.asked == [{"code": CODE, "hop": "at_point"}]
    assert page.message.text() == f"已登记：服务点已收到原件（{CODE}）。"
    save_screenshot(page, test_output / "kiosk-slips-done.png")
    page.hop_buttons["returned_to_resident"].click()
    await until(lambda: "下一步" in page.message.text(), "the hub's refusal")
    assert "下一步应为「快递员已揽收」" in page.message.text()
    save_screenshot(page, test_output / "kiosk-slips-refused.png")
    page.key_buttons["clear"].click()
    assert page.code_field.text() == "LZ-SL▏" and page.message.text() == ""


def test_home_entry_opens_the_slips_page(
    qtbot: Any,
    restore: QApplication,  # noqa: F811
    loop: asyncio.AbstractEventLoop,
    test_output: Path,
) -> None:
    themed(restore, "default")
    controller, ui, hub = _make(qtbot, loop)
    ui.show()
    touch = ui.touch
    _run(loop, controller.handle_connection(True))
    assert touch.current_page() is touch.home
    entry = ui.slips.entry
    assert entry.text() == "原件交接（工作人员）" and entry.height() >= 80
    save_screenshot(touch, test_output / "kiosk-slips-home.png")
    entry.click()
    assert touch.current_page() is ui.slips.page
    save_screenshot(touch, test_output / "kiosk-slips-touch.png")
    ui.slips.page.back_button.click()
    assert touch.current_page() is touch.home and not ui.slips.desk.active
    del hub


def test_translations_have_the_same_keys() -> None:
    folder = assets_dir() / "i18n"
    zh = json.loads((folder / "slips.zh_CN.json").read_text(encoding="utf-8"))
    en = json.loads((folder / "slips.en.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en)
    desk = SlipDesk(lambda: None)
    desk.error_key = "error.out_of_order"
    desk.error_fmt = {"state": "at_centre", "expected": "returned_to_point"}
    i18n.set_language("en")
    try:
        assert desk.message()[0] == ('Not recorded: the originals are "At the acceptance centre";'
                                     ' the next step is "Back at the service point".')  # fmt: skip
    finally:
        i18n.set_language("zh_CN")
