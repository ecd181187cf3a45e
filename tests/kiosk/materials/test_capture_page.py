"""The kiosk's capture page on a real capture desk: image-sequence cameras, a real hub.

The page shows only what `CaptureDesk` knows: the preview with the page the desk found
outlined where the synthetic page really is, the check messages for real problem
frames, the officer's retake reason, 拍摄 / 再拍一页 / 完成 / 取消, and the page list
going from 待上传 to 已送达 as the hub stores the page.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kiosk.app import KioskController, KioskState
from kiosk.config import KioskConfig
from kiosk.devices.doccam import DocumentCameraConfig
from kiosk.materials import CaptureDesk, CaptureState, Outbox
from kiosk.ui.capture_page import CapturePage
from kiosk.ui.kiosk_ui import KioskUi
from shared import i18n
from shared.hubclient import HubClient, HubUnavailable
from shared.protocol import DeviceCommand
from shared.ui.screenshot import save_screenshot
from tests.kiosk.materials.test_delivery import session_with_credential
from tests.support.hub_fixtures import WAIT, HubHarness
from tests.support.kiosk_fakes import FakeHub, FakePeer, call_started, session_started
from tests.support.synthetic_pages import (
    blurred_frame,
    cut_off_frame,
    empty_frame,
    glare_frame,
    page_frame,
    sharp_frame,
)
from tests.support.waiting import until

SIZE = (960, 540)


async def _ignore(_: Any) -> None:
    return None


class UnreachableUploads(FakeHub):
    """A hub whose websocket works but whose HTTP side is down: pages wait in the outbox."""

    async def post_bytes(
        self, path: str, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> Any:
        raise HubUnavailable("uploads are down")


def write_sequence(folder: Path, frames: list[np.ndarray]) -> str:
    """PNG frames (lossless: glare stays blown out) as an `images` camera pattern."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"f_{i:03d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return str(folder / "f_%03d.png")


@asynccontextmanager
async def desk_on(
    hub: Any, outbox_dir: Path, camera: DocumentCameraConfig
) -> AsyncIterator[CaptureDesk]:
    desk = CaptureDesk(camera, hub, Outbox(outbox_dir), lambda: None, auto_capture=False)
    await desk.start()
    try:
        yield desk
    finally:
        await asyncio.wait_for(desk.close(), WAIT)


def shown_page(qtbot: QtBot, desk: CaptureDesk) -> CapturePage:
    page = CapturePage()
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.follow(desk)
    page.show()
    return page


async def test_capture_page_outlines_the_page_and_follows_delivery(
    hub: HubHarness, qtbot: QtBot, themed: QApplication, tmp_path: Path, test_output: Path
) -> None:
    i18n.set_language("zh_CN")
    frame = page_frame(301, SIZE)
    pattern = write_sequence(tmp_path / "seq", [frame.image] * 4)
    officer, credential, sid = await session_with_credential(hub, "K-page")
    client = HubClient(hub.url, hub.ca, _ignore)
    await asyncio.wait_for(client.login_device(credential), WAIT)
    await asyncio.wait_for(client.connect(), WAIT)
    camera = DocumentCameraConfig(backend="images", path=pattern, fps=10)
    try:
        async with desk_on(client, tmp_path / "outbox", camera) as desk:
            page = shown_page(qtbot, desk)
            params = {"reason": "incomplete", "retake_of": 1}
            desk.handle_command(sid, DeviceCommand(session_id=sid, command_id="c1",
                                                   kind="page.capture", params=params))  # fmt: skip
            assert page.reason.isVisible()
            assert page.reason.text() == "工作人员要求重拍：材料不完整"
            assert page.capture_button.isVisible() and page.capture_button.isEnabled()
            assert not page.done_button.isVisible() and page.cancel_button.isVisible()
            assert page.page_rows() == ["尚未拍摄"]

            # The desk finds the page; the page outlines it where the synthetic page lies.
            await until(lambda: desk.check is not None and desk.check.ok)
            page.show_desk(desk)
            assert page.message.text() == "已检测到材料，请按“拍摄”"
            page.preview.poll()
            assert page.preview.has_frame()
            outline = page.preview.outline()
            assert outline is not None
            error = float(np.abs(outline - frame.corners).max())
            diagonal = float(np.hypot(*SIZE))
            print(f"\noutline corner error {error:.1f} px ({error / diagonal:.2%} of diagonal)")
            assert error < 0.02 * diagonal
            shot = page.preview.grab().toImage()
            points = page.preview.outline_in_widget()
            mid = (points[0] + points[1]) / 2  # the middle of the top edge, on the line
            colour = QColor(shot.pixel(round(mid.x()), round(mid.y())))
            assert colour.green() > 150 and colour.red() < 120, colour.name()
            save_screenshot(page, test_output / "capture-page-preview.png")

            # 拍摄: saved, shown as captured, then delivered.
            page.capture_button.click()
            await until(lambda: desk.state == CaptureState.CAPTURED)
            assert page.message.text() == "已拍摄，材料正在送往服务中心"
            assert page.again_button.isVisible() and page.done_button.isVisible()
            assert not page.capture_button.isVisible()
            assert page.preview.outline() is None
            await until(lambda: page.page_rows() == ["第1页  已送达"])
            added = await officer.skip_to("material.added", timeout=10)
            assert added.session_id == sid and added.command_id == "c1"
            save_screenshot(page, test_output / "capture-page-delivered.png")

            # 再拍一页 opens the preview again; 取消 closes it and tells the officer nothing
            # (no command is open).
            page.again_button.click()
            assert desk.state == CaptureState.PREVIEW and desk.command_id is None
            assert desk.reason is None and not page.reason.isVisible()
            page.cancel_button.click()
            assert desk.state == CaptureState.IDLE
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        (lambda: [empty_frame(5, SIZE).image] * 2, "未检测到材料"),
        (
            lambda: [sharp_frame(53, SIZE).image] * 4 + [blurred_frame(53, 6.0, SIZE).image] * 6,
            "图像模糊",
        ),
        (lambda: [cut_off_frame(7, SIZE).image] * 2, "材料超出画面"),
        (lambda: [glare_frame(9, SIZE).image] * 2, "反光"),
    ],
    ids=["no_page", "blurred", "cut_off", "glare"],
)
async def test_capture_page_says_what_is_wrong(
    qtbot: QtBot, tmp_path: Path, frames: Callable[[], list[np.ndarray]], message: str
) -> None:
    i18n.set_language("zh_CN")
    pattern = write_sequence(tmp_path / "seq", frames())
    camera = DocumentCameraConfig(backend="images", path=pattern, fps=10)
    async with desk_on(UnreachableUploads(), tmp_path / "outbox", camera) as desk:
        page = shown_page(qtbot, desk)
        desk.open("s1", None)
        assert page.message.text() == "请将材料正面朝上平放在拍摄区内"
        await until(lambda: page.message.text() == message)
        # A problem frame never gets a green outline.
        assert page.preview._outline_ok is False
        desk.cancel()


async def test_no_document_camera_is_a_clear_failure(qtbot: QtBot, tmp_path: Path) -> None:
    """The kiosk's default [doccam] (V4L2 without a path) fails clearly, never guesses."""
    i18n.set_language("zh_CN")
    hub = UnreachableUploads()
    async with desk_on(hub, tmp_path / "outbox", KioskConfig().doccam) as desk:
        page = shown_page(qtbot, desk)
        desk.handle_command("s1", DeviceCommand(session_id="s1", command_id="c9",
                                                kind="page.capture"))  # fmt: skip
        await until(lambda: desk.state == CaptureState.FAILED)
        assert page.message.text() == "高拍仪不可用，请联系工作人员"
        assert not page.capture_button.isVisible() and page.cancel_button.isVisible()
        await until(lambda: "device.failed" in hub.types())
        failed = [m for m in hub.sent if m.type == "device.failed"][-1]
        assert (failed.command_id, failed.code.value) == ("c9", "no_camera")


async def test_call_page_button_opens_capture_and_done_returns(
    qtbot: QtBot, tmp_path: Path
) -> None:
    i18n.set_language("zh_CN")
    pattern = write_sequence(tmp_path / "seq", [page_frame(302, SIZE).image] * 2)
    hub = UnreachableUploads()
    camera = DocumentCameraConfig(backend="images", path=pattern, fps=10)
    async with desk_on(hub, tmp_path / "outbox", camera) as desk:
        FakePeer.instances.clear()
        controller = KioskController(hub, peer_factory=FakePeer, capture=desk)
        ui = KioskUi(controller, fullscreen=False)
        qtbot.addWidget(ui.face)
        qtbot.addWidget(ui.touch)
        try:
            await asyncio.wait_for(controller.handle_connection(True), WAIT)
            assert await asyncio.wait_for(controller.start_service(), WAIT)
            await asyncio.wait_for(controller.handle_message(session_started("s1")), WAIT)
            await call_started(controller)
            assert controller.state == KioskState.IN_CALL
            assert ui.touch.current_page() is ui.touch.call
            assert ui.touch.call.capture_button.text() == "拍摄材料"
            ui.touch.call.capture_button.click()
            assert ui.touch.current_page() is ui.touch.capture
            await until(lambda: desk.check is not None)
            ui.touch.capture.capture_button.click()
            await until(lambda: desk.state == CaptureState.CAPTURED)
            # Uploads are down: the page stays 待上传, safe in the outbox.
            assert ui.touch.capture.page_rows() == ["第1页  待上传"]
            ui.touch.capture.done_button.click()
            assert ui.touch.current_page() is ui.touch.call
        finally:
            await ui.aclose()


async def test_auto_capture_waits_for_the_next_page(qtbot: QtBot, tmp_path: Path) -> None:
    """After an auto-capture, 再拍一页 with the same page still lying there asks for the
    next page instead of capturing the same one again by itself."""
    i18n.set_language("zh_CN")
    pattern = write_sequence(tmp_path / "seq", [page_frame(303, SIZE).image] * 2)
    camera = DocumentCameraConfig(backend="images", path=pattern, fps=10)
    async with desk_on(UnreachableUploads(), tmp_path / "outbox", camera) as desk:
        desk.auto_capture = True
        page = shown_page(qtbot, desk)
        desk.open("s1", None)
        await until(lambda: desk.state == CaptureState.CAPTURED)
        assert desk.captured == 1
        page.again_button.click()
        await until(lambda: page.message.text() == "请换下一页材料，或按“拍摄”再拍一次")
        frames = desk.camera.frame_count if desk.camera else 0
        await until(lambda: desk.camera is not None and desk.camera.frame_count >= frames + 8)
        assert desk.state == CaptureState.PREVIEW and desk.captured == 1
        # The helper can still take it again on purpose.
        page.capture_button.click()
        await until(lambda: desk.state == CaptureState.CAPTURED)
        assert desk.captured == 2


async def test_capture_page_with_a_flatbed_scanner(
    qtbot: QtBot,
    themed: QApplication,
    tmp_path: Path,
    test_output: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A SANE flatbed (its `test` backend): the preview is the scan, the button says 扫描,
    the message says how to lay the page, and a scan is a page in the outbox."""
    i18n.set_language("zh_CN")
    sane = tmp_path / "sane.d"
    sane.mkdir()
    (sane / "dll.conf").write_text("test\n")
    monkeypatch.setenv("SANE_CONFIG_DIR", str(sane))
    camera = DocumentCameraConfig(
        backend="sane", path="test:0", dpi=100, preview_dpi=40,
        sane_options=["--test-picture", "Color pattern", "-x", "150", "-y", "200"],
    )  # fmt: skip
    async with desk_on(UnreachableUploads(), tmp_path / "outbox", camera) as desk:
        page = shown_page(qtbot, desk)
        desk.open("s1", None)
        await until(lambda: page.message.text() == "材料正面朝下放好，盖上盖板后按“扫描”")
        await until(lambda: desk.preview_frame() is not None)
        page.preview.poll()
        assert page.preview.has_frame()
        assert page.capture_button.text() == "扫描" and desk.flatbed
        save_screenshot(page, test_output / "kiosk-capture-flatbed.png")
        page.capture_button.click()
        await until(lambda: desk.state == CaptureState.CAPTURED)
        assert page.page_rows() == ["第1页  待上传"]
        save_screenshot(page, test_output / "kiosk-capture-flatbed-scanned.png")
