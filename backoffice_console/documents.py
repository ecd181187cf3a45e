"""The officer's side of documents in a call, without Qt: print at the kiosk, forms to sign.

`DocumentsDesk.print_document("receipt" | "slip")` asks the hub to render the
document from the session (`POST /api/v1/sessions/{id}/documents`) and sends the
kiosk a `print` command naming it; `request_signature()` does the same for a
form with a `form.sign` command. The kiosk's `device.progress` stages (queued,
printing, paper_out, offline, done; signing, signed, cannot_sign) and
`device.failed` codes are kept per document, so the panel shows each one live.
Once a form is signed the desk fetches the signed PDF and renders its first
page with `pdftoppm` for the panel; when the resident could not sign it fetches
the reason the helper recorded.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import ValidationError

from backoffice_console.model import ConsoleError
from shared.hubclient import HubError, HubRequestError, request_json
from shared.protocol import DeviceCommand, DeviceFailed, DeviceProgress
from shared.protocol.documents import CreateBody, DocumentDetail, DocumentReply
from shared.protocol.http import invalid_text
from shared.tasks import TaskKeeper

log = logging.getLogger(__name__)

DOCUMENT_COMMANDS = ("print", "form.sign")
"""The device command kinds whose news this desk follows."""

PREVIEW_DPI = 60
"""The signed form's first page in the panel: small, legible when opened large at 2x."""

PrintKind = Literal["receipt", "slip"]
Paper = Literal["A4", "A5"]


@dataclass(frozen=True)
class DocumentItem:
    """One document of the call and what became of the command that carried it."""

    document_id: str
    kind: str  # receipt | slip | form
    title: str
    action: str  # print | form.sign
    command_id: str
    stage: str | None = "sent"
    error_code: str | None = None
    error_reason: str | None = None
    unsigned_reason: str | None = None
    signed_png: bytes | None = None

    @property
    def finished(self) -> bool:
        """Printed, signed, recorded as not signable, or failed."""
        return self.error_code is not None or self.stage in ("done", "signed", "cannot_sign")


@dataclass(frozen=True)
class DocumentsView:
    """What the documents panel shows: the call's documents, oldest first, and the last error."""

    items: tuple[DocumentItem, ...] = ()
    busy: str | None = None  # the kind being rendered by the hub
    error_key: str | None = None  # console i18n key
    error_detail: str | None = None

    def latest(self, action: str) -> DocumentItem | None:
        """The newest document sent with `action`."""
        for item in reversed(self.items):
            if item.action == action:
                return item
        return None


class DocumentsHub(Protocol):
    """The part of the hub client the desk uses."""

    async def request(self, message: Any, timeout: float = 10.0) -> Any: ...
    async def get_json(self, path: str, **params: str) -> Any: ...
    async def post_json(self, path: str, payload: dict[str, Any]) -> Any: ...
    async def get_bytes(self, path: str) -> bytes: ...


class PreviewError(Exception):
    """pdftoppm is missing or could not render the PDF."""


def render_first_page(pdf: bytes, dpi: int = PREVIEW_DPI) -> bytes:
    """The first page of `pdf` as PNG bytes, through pdftoppm (blocking: run it in a thread)."""
    with tempfile.TemporaryDirectory(prefix="vw-console-doc-") as tmp:
        source = Path(tmp) / "doc.pdf"
        source.write_bytes(pdf)
        try:
            subprocess.run(
                ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile",
                 str(source), str(Path(tmp) / "page")],
                check=True, capture_output=True, timeout=30,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError) as exc:
            raise PreviewError(f"pdftoppm failed: {type(exc).__name__}") from None
        return (Path(tmp) / "page.png").read_bytes()


_CREATE_ERRORS = {
    "bad_state": "documents.error.no_identity",
    "glyph_missing": "documents.error.glyph_missing",
    "document_refused": "documents.error.refused",
    "forbidden": "documents.error.forbidden",
}


class DocumentsDesk:
    """Documents of the current call (see module docstring).

    `get_hub` and `get_session` read the controller's hub client and session id;
    `on_change` is called with the new `DocumentsView` after every change.
    """

    def __init__(
        self,
        get_hub: Callable[[], DocumentsHub | None],
        get_session: Callable[[], str | None],
        on_change: Callable[[DocumentsView], None],
    ) -> None:
        self._get_hub = get_hub
        self._get_session = get_session
        self._on_change = on_change
        self._tasks = TaskKeeper("documents")
        self.view = DocumentsView()
        self.printed: dict[str, int] = {}  # kind -> documents the kiosk reported done
        self.signed = 0

    def _set(self, view: DocumentsView) -> None:
        self.view = view
        self._on_change(view)

    def _update(self, command_id: str, **changes: Any) -> DocumentItem | None:
        items = list(self.view.items)
        for i, item in enumerate(items):
            if item.command_id == command_id:
                items[i] = replace(item, **changes)
                self._set(replace(self.view, items=tuple(items)))
                return items[i]
        return None

    def reset(self) -> None:
        """Forget the documents (a call started or ended)."""
        self._set(DocumentsView())

    def _require(self) -> tuple[DocumentsHub, str]:
        hub, session_id = self._get_hub(), self._get_session()
        if hub is None or session_id is None:
            raise ConsoleError("error.not_in_call")
        return hub, session_id

    async def print_document(self, kind: PrintKind, paper: Paper = "A5") -> DocumentItem:
        """Render a receipt or slip on the hub and have the kiosk print it. Raises ConsoleError."""
        if kind not in ("receipt", "slip"):
            raise ConsoleError("documents.error.bad_kind", str(kind))
        return await self._issue(kind, paper, "print")

    async def request_signature(self, paper: Paper = "A4") -> DocumentItem:
        """Render the form on the hub and show it on the kiosk's pad. Raises ConsoleError."""
        return await self._issue("form", paper, "form.sign")

    async def _issue(self, kind: str, paper: Paper, action: str) -> DocumentItem:
        hub, session_id = self._require()
        if self.view.busy is not None:
            raise ConsoleError("documents.error.busy")
        self._set(replace(self.view, busy=kind, error_key=None, error_detail=None))
        try:
            body = request_json(CreateBody, kind=kind, paper=paper)
            data = await hub.post_json(f"/api/v1/sessions/{session_id}/documents", body)
            info = DocumentReply.model_validate(data)
        except HubRequestError as exc:
            key = _CREATE_ERRORS.get(exc.code, "documents.error.create")
            self._set(replace(self.view, busy=None, error_key=key, error_detail=exc.message))
            raise ConsoleError(key, exc.message) from None
        except HubError as exc:
            self._set(replace(self.view, busy=None, error_key="error.hub_unreachable"))
            raise ConsoleError("error.hub_unreachable", str(exc)) from None
        except ValidationError as exc:  # a hub that answers something else
            detail = invalid_text(exc)
            log.warning("the hub's document answer is malformed: %s", detail)
            key = "documents.error.create"
            self._set(replace(self.view, busy=None, error_key=key, error_detail=detail))
            raise ConsoleError(key, detail) from None
        if session_id != self._get_session():  # the call ended while the hub rendered
            self._set(replace(self.view, busy=None))
            raise ConsoleError("error.not_in_call")
        item = DocumentItem(
            document_id=info.document_id,
            kind=kind,
            title=info.title,
            action=action,
            command_id=f"{'print' if action == 'print' else 'sign'}-{secrets.token_hex(6)}",
        )
        self._set(replace(self.view, busy=None, items=(*self.view.items, item)))
        command = DeviceCommand(
            session_id=session_id,
            command_id=item.command_id,
            kind="print" if action == "print" else "form.sign",
            params={"document_id": item.document_id, "sha256": info.sha256},
        )
        try:
            await hub.request(command)
        except HubRequestError as exc:
            self._update(item.command_id, stage=None, error_code=exc.code)
            raise ConsoleError("documents.error.request", exc.code) from None
        except HubError as exc:
            self._update(item.command_id, stage=None, error_code="hub_unreachable")
            raise ConsoleError("error.hub_unreachable", str(exc)) from None
        log.info("document %s (%s) sent to the kiosk: %s", item.document_id, kind, action)
        return item

    def handle(self, message: Any) -> bool:
        """News of a `print` or `form.sign` command; True when it was for this desk.

        Called on the hub client's reader: fetches it starts run as tasks.
        """
        if not isinstance(message, DeviceProgress | DeviceFailed):
            return False
        if message.kind not in DOCUMENT_COMMANDS:
            return False
        if message.session_id != self._get_session():
            return True
        if isinstance(message, DeviceFailed):
            log.info("document command failed: %s %s", message.code.value, message.reason or "")
            self._update(
                message.command_id, error_code=message.code.value, error_reason=message.reason
            )
            return True
        item = self._update(message.command_id, stage=message.stage)
        if item is None:
            return True
        if message.stage == "done":
            self.printed[item.kind] = self.printed.get(item.kind, 0) + 1
        elif message.stage == "signed":
            self.signed += 1
            self._tasks.start(self._fetch_signed(message.session_id, item), "signed-preview")
        elif message.stage == "cannot_sign":
            self._tasks.start(self._fetch_reason(message.session_id, item), "unsigned-reason")
        return True

    async def _fetch_signed(self, session_id: str, item: DocumentItem) -> None:
        try:
            pdf = await self.signed_pdf(item.document_id)
            png = await asyncio.to_thread(render_first_page, pdf)
        except (ConsoleError, PreviewError) as exc:
            log.warning("signed form preview failed: %s", exc)
            if session_id == self._get_session():
                self._update(item.command_id, error_code="preview_failed")
            return
        if session_id == self._get_session():
            self._update(item.command_id, signed_png=png)

    async def _fetch_reason(self, session_id: str, item: DocumentItem) -> None:
        hub = self._get_hub()
        if hub is None:
            return
        try:
            data = await hub.get_json(f"/api/v1/documents/{item.document_id}")
            reason = DocumentDetail.model_validate(data).unsigned_reason
        except HubError as exc:
            log.warning("the cannot-sign reason was not fetched: %s", type(exc).__name__)
            return
        except ValidationError as exc:
            log.warning("the document's metadata is malformed: %s", invalid_text(exc))
            return
        if session_id == self._get_session() and reason is not None:
            self._update(item.command_id, unsigned_reason=reason)

    async def signed_pdf(self, document_id: str) -> bytes:
        """The signed form's PDF from the hub (audited there). Raises ConsoleError."""
        hub = self._get_hub()
        if hub is None:
            raise ConsoleError("error.not_logged_in")
        try:
            return await hub.get_bytes(f"/api/v1/documents/{document_id}/signed.pdf")
        except HubRequestError as exc:
            raise ConsoleError("documents.error.fetch", exc.code) from None
        except HubError as exc:
            raise ConsoleError("error.hub_unreachable", str(exc)) from None

    async def close(self) -> None:
        """Stop fetches in flight."""
        await self._tasks.cancel_all()
