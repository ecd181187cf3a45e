"""Signatures at the kiosk, without Qt: the officer's `form.sign` command to a signed form.

`SignDesk.handle_command` takes a `device.command` of kind `form.sign` with
`params.document_id`. The desk fetches the form (checked against its sha256),
renders the page holding the signature field to a PNG with `pdftoppm`
(poppler-utils) for the touch screen, and reports `signing`. The signature pad
hands `submit()` its strokes (points 0..1, y down): a signature with no strokes is
refused here with a message and nothing is sent; otherwise the strokes go to the
hub, which places them into the form's field with the time and keeps the signed
form, and the officer is told `signed`. `cannot_sign(reason)` records that the
resident could not sign (stage `cannot_sign`).
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kiosk.printing import DOCUMENT_ID, DocumentFetchError, fetch_document
from shared.hubclient import HubError, HubRequestError, request_json
from shared.protocol import (
    DeviceCommand,
    DeviceErrorCode,
    DeviceFailed,
    DeviceProgress,
    DeviceStage,
)
from shared.protocol.documents import SignatureBody, UnsignedBody
from shared.tasks import TaskKeeper

log = logging.getLogger(__name__)

PAGE_DPI = 110
MAX_POINTS = 2000
"""Points sent per signature: the pad records more; they are thinned evenly."""

Stroke = Sequence[tuple[float, float]]


class HubForms(Protocol):
    """The part of the hub client the signature desk uses."""

    async def request(self, message: Any, timeout: float = 10.0) -> Any: ...

    async def get_json(self, path: str, **params: str) -> Any: ...

    async def get_bytes(self, path: str) -> bytes: ...

    async def post_json(self, path: str, payload: dict[str, Any]) -> Any: ...


class PageRenderError(Exception):
    """pdftoppm failed or is missing."""


def render_page_png(pdf: bytes, page: int, dpi: int = PAGE_DPI) -> bytes:
    """Page `page` (from 0) of `pdf` as PNG bytes, through pdftoppm (blocking)."""
    with tempfile.TemporaryDirectory(prefix="vw-sign-") as tmp:
        source = Path(tmp) / "form.pdf"
        source.write_bytes(pdf)
        n = str(page + 1)
        try:
            subprocess.run(
                ["pdftoppm", "-png", "-r", str(dpi), "-f", n, "-l", n, "-singlefile",
                 str(source), str(Path(tmp) / "page")],
                check=True, capture_output=True, timeout=30,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError) as exc:
            raise PageRenderError(f"pdftoppm failed: {type(exc).__name__}") from None
        return (Path(tmp) / "page.png").read_bytes()


def thin(strokes: Sequence[Stroke], limit: int = MAX_POINTS) -> list[list[list[float]]]:
    """Strokes with empty ones dropped, thinned evenly to at most `limit` points, rounded."""
    kept = [list(s) for s in strokes if len(s) > 0]
    total = sum(len(s) for s in kept)
    step = max(1, -(-total // limit))
    out: list[list[list[float]]] = []
    for stroke in kept:
        points = stroke[::step]
        if stroke[-1] is not points[-1]:
            points.append(stroke[-1])  # keep each stroke's end
        out.append([[round(min(max(x, 0.0), 1.0), 4), round(min(max(y, 0.0), 1.0), 4)]
                    for x, y in points])  # fmt: skip
    return out


@dataclass
class SignRequest:
    """The form being signed: what the pad shows and where the signature goes."""

    session_id: str
    command_id: str
    document_id: str
    field: str
    label: str
    title: str
    page_png: bytes


class SignDesk:
    """One signature at a time (see module docstring).

    `request` is the form on screen (None: nothing to sign); `message` is a
    `(domain, key)` translation pair for the touch screen; `notify()` is called
    after every change the UI shows.
    """

    def __init__(self, hub: HubForms, notify: Callable[[], None]) -> None:
        self._hub = hub
        self._notify = notify
        self._tasks = TaskKeeper("signing")
        self.request: SignRequest | None = None
        self.message: tuple[str, str] | None = None
        self.signed = 0
        self.busy = False

    def handle_command(self, session_id: str | None, command: DeviceCommand) -> None:
        """A `form.sign` command from the hub (called on the hub client's reader: never blocks)."""
        document_id = command.params.get("document_id")
        if session_id is None or command.session_id != session_id:
            self._tasks.start(self._fail(command, DeviceErrorCode.BUSY, None), "sign-refuse")
        elif not isinstance(document_id, str) or not DOCUMENT_ID.match(document_id):
            self._tasks.start(self._fail(command, DeviceErrorCode.FETCH_FAILED, "bad_id"), "sign")
        else:
            self._tasks.start(self._open(command, document_id), "sign-open")

    async def _open(self, command: DeviceCommand, document_id: str) -> None:
        try:
            info, pdf = await fetch_document(self._hub, document_id)
        except DocumentFetchError as exc:
            await self._fail(command, DeviceErrorCode.FETCH_FAILED, exc.reason)
            return
        fields = info.signature_fields
        if info.kind != "form" or not fields:
            await self._fail(command, DeviceErrorCode.UNSUPPORTED, "not_a_form")
            return
        field = fields[0]
        try:
            png = await asyncio.to_thread(render_page_png, pdf, field.page)
        except PageRenderError as exc:
            log.error("signature page not rendered: %s", exc)
            await self._fail(command, DeviceErrorCode.SIGN_FAILED, "render")
            return
        self.request = SignRequest(
            command.session_id, command.command_id, document_id,
            field.name, field.label, info.title, png,
        )  # fmt: skip
        self.message = ("kiosk", "sign.prompt")
        self._notify()
        await self._progress("signing")

    async def submit(self, strokes: Sequence[Stroke]) -> bool:
        """The resident pressed 确认: send the strokes; False (with a message) when refused."""
        request = self.request
        if request is None or self.busy:
            return False
        body = thin(strokes)
        if not body:
            self.message = ("kiosk", "sign.empty")
            self._notify()
            return False
        self.busy = True
        try:
            payload = request_json(SignatureBody, field=request.field, strokes=body)
            await self._hub.post_json(f"/api/v1/documents/{request.document_id}/signature", payload)
        except HubRequestError as exc:
            log.info("signature refused: %s", exc.code)
            self.message = (
                "kiosk",
                "sign.empty" if exc.code == "empty_signature" else "sign.failed",
            )
            self._notify()
            return False
        except HubError as exc:
            log.info("signature not sent: %s", type(exc).__name__)
            self.message = ("kiosk", "sign.failed")
            self._notify()
            return False
        finally:
            self.busy = False
        self.signed += 1
        await self._finish("signed", ("kiosk", "sign.done"))
        return True

    async def cannot_sign(self, reason: str) -> bool:
        """The helper records that the resident cannot sign, with `reason`."""
        request = self.request
        reason = reason.strip()
        if request is None:
            return False
        if not reason:
            self.message = ("kiosk", "sign.reason_needed")
            self._notify()
            return False
        try:
            payload = request_json(UnsignedBody, reason=reason[:200])
            await self._hub.post_json(f"/api/v1/documents/{request.document_id}/unsigned", payload)
        except HubError as exc:
            log.info("cannot-sign not recorded: %s", type(exc).__name__)
            self.message = ("kiosk", "sign.failed")
            self._notify()
            return False
        await self._finish("cannot_sign", ("kiosk", "sign.recorded"))
        return True

    async def _finish(self, stage: DeviceStage, message: tuple[str, str]) -> None:
        await self._progress(stage)
        self.request = None
        self.message = message
        self._notify()

    async def _progress(self, stage: DeviceStage) -> None:
        request = self.request
        if request is None:
            return
        message = DeviceProgress(
            session_id=request.session_id,
            command_id=request.command_id,
            kind="form.sign",
            stage=stage,
        )
        try:
            await self._hub.request(message)
        except HubError as exc:
            log.info("signature progress not delivered: %s", type(exc).__name__)

    async def _fail(
        self, command: DeviceCommand, code: DeviceErrorCode, reason: str | None
    ) -> None:
        message = DeviceFailed(
            session_id=command.session_id, command_id=command.command_id, kind="form.sign",
            code=code, reason=reason, message=f"form.sign failed: {code.value}",
        )  # fmt: skip
        try:
            await self._hub.request(message)
        except HubError as exc:
            log.info("signature failure not delivered: %s", type(exc).__name__)

    def session_over(self) -> None:
        """The call ended: drop the form from the screen."""
        self.request = None
        self.message = None
        self._notify()

    async def close(self) -> None:
        """Stop what is in flight."""
        await self._tasks.cancel_all()
