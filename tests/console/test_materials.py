"""The officer's materials desk and panel: command, pages arriving, reject with a reason."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from backoffice_console.materials import MaterialsDesk, MaterialsView
from backoffice_console.model import ConsoleError
from shared.protocol import DeviceCommand, DeviceFailed, DeviceProgress, MaterialAdded
from tests.hub.materials.test_routes import page_jpeg


class ScriptedHub:
    """Records requests; serves one image."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    async def request(self, message: Any, timeout: float = 10.0) -> Any:
        self.sent.append(message)

    async def get_bytes(self, path: str) -> bytes:
        assert path == "/api/v1/materials/5"
        return page_jpeg(1)


def added(material_id: int, page_no: int, command_id: str | None) -> MaterialAdded:
    thumb = base64.b64encode(page_jpeg(page_no, (96, 128))).decode()
    return MaterialAdded(session_id="s1", material_id=material_id, page_no=page_no,
                         sha256="a" * 64, width=600, height=800, size_bytes=1000,
                         command_id=command_id, thumbnail_jpeg_b64=thumb)  # fmt: skip


async def test_capture_pages_and_reject_with_reason() -> None:
    hub = ScriptedHub()
    views: list[MaterialsView] = []
    desk = MaterialsDesk(lambda: hub, lambda: "s1", views.append)
    command_id = await desk.request_page()
    assert isinstance(hub.sent[0], DeviceCommand) and hub.sent[0].kind == "page.capture"
    progress = DeviceProgress(session_id="s1", command_id=command_id, kind="page.capture",
                              stage="capturing")  # fmt: skip
    assert desk.handle(progress) and desk.view.stage == "capturing"
    assert desk.handle(added(5, 1, command_id)) and desk.view.stage == "delivered"
    assert desk.handle(added(5, 1, command_id))  # repeated: still one page
    assert desk.handle(added(6, 2, None))
    assert [p.page_no for p in desk.view.pages] == [1, 2]
    assert await desk.full_image(5) == page_jpeg(1)

    retake = await desk.reject(5, "blurred")
    command = hub.sent[-1]
    assert command.command_id == retake and command.params == {"reason": "blurred", "retake_of": 5}
    assert desk.view.pages[0].rejected == "blurred"
    failed = DeviceFailed(session_id="s1", command_id=retake, kind="page.capture",
                          code="no_camera")  # fmt: skip
    assert desk.handle(failed) and desk.view.error_code == "no_camera"
    with pytest.raises(ConsoleError):
        await desk.reject(5, "not-a-reason")
    # Messages of ID card reads are not the desk's.
    other = DeviceProgress(session_id="s1", command_id="x", kind="idcard.read", stage="reading")
    assert not desk.handle(other)
    desk.reset()
    assert desk.view.pages == ()


def test_panel_shows_thumbnails_and_emits_reject(qtbot: Any) -> None:
    from backoffice_console.ui.materials_panel import MaterialsPanel, PageViewer  # noqa: PLC0415

    panel = MaterialsPanel()
    qtbot.addWidget(panel)
    desk = MaterialsDesk(lambda: None, lambda: "s1", panel.show_view)
    desk.handle(added(5, 1, None))
    desk.handle(added(6, 2, None))
    assert panel.pages.count() == 2 and panel.selected_material() == 5  # selection kept
    panel.pages.setCurrentRow(1)
    assert not panel.pages.item(0).icon().isNull()
    rejected: list[tuple[int, str]] = []
    panel.reject_requested.connect(lambda m, r: rejected.append((m, r)))
    panel.reason.setCurrentIndex(2)
    panel.reject_button.click()
    assert rejected == [(6, "wrong_document")]
    viewer = PageViewer(page_jpeg(3))
    qtbot.addWidget(viewer)
    width = viewer.pixmap().width()
    viewer.zoom_by(2.0)
    assert viewer.pixmap().width() > width
    viewer.rotate()
    assert viewer.rotation == 90
