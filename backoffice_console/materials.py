"""The officer's side of materials in a call, without Qt.

`MaterialsDesk` sends `page.capture` (拍摄材料), follows the kiosk's progress and
failures, keeps the pages the hub announces (`material.added`, with thumbnails),
fetches a page's full image for the large view, and rejects a page with a
reason (模糊 / 不完整 / 材料不符), which asks the kiosk for a new capture with
that reason shown there. `export_pdf` saves the session's pages as one PDF made
by the hub (导出PDF).
"""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from backoffice_console.model import ConsoleError
from shared.durable import write_atomically
from shared.hubclient import HubError, HubRequestError
from shared.protocol import (
    REJECT_REASONS,
    DeviceCommand,
    DeviceFailed,
    DeviceProgress,
    MaterialAdded,
)

log = logging.getLogger(__name__)

MATERIAL_MESSAGES = (MaterialAdded,)


@dataclass(frozen=True)
class PageItem:
    """One page of the call: its thumbnail JPEG and, once rejected, why."""

    material_id: int
    page_no: int
    width: int
    height: int
    thumbnail: bytes
    rejected: str | None = None


@dataclass(frozen=True)
class MaterialsView:
    """What the materials panel shows."""

    pages: tuple[PageItem, ...] = ()
    command_id: str | None = None
    stage: str | None = None
    error_code: str | None = None
    requests: int = field(default=0)


class MaterialsHub(Protocol):
    """The part of the hub client the desk uses."""

    async def request(self, message: Any, timeout: float = 10.0) -> Any: ...
    async def get_bytes(self, path: str) -> bytes: ...


class MaterialsDesk:
    """Materials of the current call (see module docstring)."""

    def __init__(
        self,
        get_hub: Callable[[], MaterialsHub | None],
        get_session: Callable[[], str | None],
        on_change: Callable[[MaterialsView], None],
    ) -> None:
        self._get_hub = get_hub
        self._get_session = get_session
        self._on_change = on_change
        self.view = MaterialsView()

    def _set(self, view: MaterialsView) -> None:
        self.view = view
        self._on_change(view)

    def reset(self) -> None:
        """Forget the pages (a call started or ended)."""
        self._set(MaterialsView())

    async def request_page(self, reason: str | None = None, retake_of: int | None = None) -> str:
        """Ask the kiosk to capture a page; returns the command id. Raises ConsoleError."""
        hub, session_id = self._get_hub(), self._get_session()
        if hub is None or session_id is None:
            raise ConsoleError("error.not_in_call")
        params: dict[str, str | int] = {}
        if reason is not None:
            if reason not in REJECT_REASONS:
                raise ConsoleError("materials.error.bad_reason", reason)
            params["reason"] = reason
        if retake_of is not None:
            params["retake_of"] = retake_of
        command_id = f"page-{secrets.token_hex(6)}"
        self._set(replace(self.view, command_id=command_id, stage="sent", error_code=None,
                          requests=self.view.requests + 1))  # fmt: skip
        command = DeviceCommand(session_id=session_id, command_id=command_id,
                                kind="page.capture", params=params)  # fmt: skip
        try:
            await hub.request(command)
        except HubRequestError as exc:
            self._set(replace(self.view, stage=None, error_code=exc.code))
            raise ConsoleError("materials.error.request", exc.code) from None
        except HubError as exc:
            self._set(replace(self.view, stage=None, error_code="hub_unreachable"))
            raise ConsoleError("error.hub_unreachable", str(exc)) from None
        log.info("asked the kiosk for a page (%s)", command_id)
        return command_id

    async def reject(self, material_id: int, reason: str) -> str:
        """Mark a page rejected and ask the kiosk for a new one with `reason` shown."""
        if reason not in REJECT_REASONS:
            raise ConsoleError("materials.error.bad_reason", reason)
        pages = tuple(
            replace(p, rejected=reason) if p.material_id == material_id else p
            for p in self.view.pages
        )
        self._set(replace(self.view, pages=pages))
        return await self.request_page(reason, material_id)

    async def full_image(self, material_id: int) -> bytes:
        """The page's full JPEG from the hub (audited there)."""
        hub = self._get_hub()
        if hub is None:
            raise ConsoleError("error.not_in_call")
        try:
            return await hub.get_bytes(f"/api/v1/materials/{material_id}")
        except HubRequestError as exc:
            raise ConsoleError("materials.error.fetch", exc.code) from None
        except HubError as exc:
            raise ConsoleError("error.hub_unreachable", str(exc)) from None

    async def export_pdf(self, path: Path) -> int:
        """Save the call's pages as one PDF (made and audited by the hub) at `path`.

        Returns the size in bytes. The file appears complete or not at all (written
        beside it, flushed, then renamed). Raises ConsoleError.
        """
        hub, session_id = self._get_hub(), self._get_session()
        if hub is None or session_id is None:
            raise ConsoleError("error.not_in_call")
        try:
            pdf = await hub.get_bytes(f"/api/v1/sessions/{session_id}/materials.pdf")
        except HubRequestError as exc:
            raise ConsoleError("materials.error.export", exc.code) from None
        except HubError as exc:
            raise ConsoleError("error.hub_unreachable", str(exc)) from None
        if not pdf.startswith(b"%PDF-"):
            raise ConsoleError("materials.error.export", "not_a_pdf")
        try:
            write_atomically(path, pdf)
        except OSError as exc:
            raise ConsoleError("materials.error.save", str(exc)) from None
        log.info("materials exported as PDF (%d bytes)", len(pdf))
        return len(pdf)

    def handle(self, message: Any) -> bool:
        """A materials or page.capture message; True when it was for this desk."""
        if isinstance(message, MaterialAdded):
            if message.session_id != self._get_session():
                return True
            if any(p.material_id == message.material_id for p in self.view.pages):
                return True
            thumb = base64.b64decode(message.thumbnail_jpeg_b64)
            item = PageItem(
                message.material_id, message.page_no, message.width, message.height, thumb
            )
            pages = tuple(sorted((*self.view.pages, item), key=lambda p: p.page_no))
            done = message.command_id is not None and message.command_id == self.view.command_id
            stage = "delivered" if done else self.view.stage
            self._set(replace(self.view, pages=pages, stage=stage))
            log.info("page %d arrived (material %d)", message.page_no, message.material_id)
            return True
        if not isinstance(message, DeviceProgress | DeviceFailed):
            return False
        if message.kind != "page.capture":
            return False
        if message.session_id != self._get_session() or message.command_id != self.view.command_id:
            return True
        if isinstance(message, DeviceProgress):
            self._set(replace(self.view, stage=message.stage))
        else:
            self._set(replace(self.view, stage=None, error_code=message.code.value))
        return True
