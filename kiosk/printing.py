"""Remote print at the kiosk, without Qt: the officer's `print` command to paper.

`PrintDesk.handle_command` takes a `device.command` of kind `print` with
`params.document_id` (and optionally `sha256`). The desk fetches the document's
metadata and PDF from the hub with the kiosk's device token, checks the PDF
against the sha256 the hub declared, and submits it to the durable `PrintQueue`
under the document id as idempotency key, so a resent command, a double tap or a
restart never prints it twice. It then follows the job and reports every change
as `device.progress` (queued, printing, paper_out, jam, cover_open, offline,
done); the touch screen reads `stage` to tell the helper what to do
("打印机缺纸，请补充纸张"). Errors end in `device.failed` with a clear code; a
job the printer cannot take yet stays in the queue and is retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kiosk.devices.printer import (
    EntryState,
    Media,
    Printer,
    PrinterError,
    PrinterNotFound,
    PrinterState,
    PrintOptions,
    PrintQueue,
    open_printer,
)
from shared.hubclient import HubError, HubRequestError
from shared.protocol import (
    DeviceCommand,
    DeviceErrorCode,
    DeviceFailed,
    DeviceProgress,
    DeviceStage,
)
from shared.protocol.documents import DocumentDetail
from shared.protocol.http import invalid_text
from shared.tasks import TaskKeeper

log = logging.getLogger(__name__)

DOCUMENT_ID = re.compile(r"^[0-9a-f]{32}$")
FOLLOW_LIMIT_S = 30 * 60.0
"""How long one command follows its job; the queue keeps it (and retries) after that."""

# Printer conditions the helper can fix, as progress stages.
_CONDITION_STAGES: dict[PrinterState, DeviceStage] = {
    PrinterState.PAPER_OUT: "paper_out",
    PrinterState.JAM: "jam",
    PrinterState.COVER_OPEN: "cover_open",
    PrinterState.OFFLINE: "offline",
}


class PrinterSection(BaseModel):
    """`[printer]` of the kiosk config: `cups` (queue `name` on `server`) or `simulated`."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["cups", "cups-cli", "simulated"] = "cups"  # cups-cli: lp/ipptool
    name: str = Field(default="Kiosk", min_length=1, max_length=127)
    server: str | None = None
    folder: Path = Path("printed")
    poll_s: float = Field(default=0.5, gt=0.0, le=10.0)


class HubDocuments(Protocol):
    """The part of the hub client the print and signature desks use."""

    async def request(self, message: Any, timeout: float = 10.0) -> Any: ...

    async def get_json(self, path: str, **params: str) -> Any: ...

    async def get_bytes(self, path: str) -> bytes: ...


class DocumentFetchError(Exception):
    """The document could not be fetched or did not match what the hub declared."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


async def fetch_document(hub: HubDocuments, document_id: str) -> tuple[DocumentDetail, bytes]:
    """Metadata and PDF of a document, the PDF checked against the declared sha256."""
    if not DOCUMENT_ID.match(document_id):
        raise DocumentFetchError("bad_id", "the document id is malformed")
    try:
        info = DocumentDetail.model_validate(await hub.get_json(f"/api/v1/documents/{document_id}"))
        pdf = await hub.get_bytes(f"/api/v1/documents/{document_id}.pdf")
    except HubRequestError as exc:
        raise DocumentFetchError(exc.code[:40].lower(), f"the hub refused: {exc}") from None
    except HubError as exc:
        raise DocumentFetchError("unreachable", f"the hub is unreachable: {exc}") from None
    except ValidationError as exc:
        message = f"the metadata is malformed: {invalid_text(exc)}"
        raise DocumentFetchError("bad_reply", message) from None
    if hashlib.sha256(pdf).hexdigest() != info.sha256:
        raise DocumentFetchError("sha256_mismatch", "the document does not match its sha256")
    return info, pdf


class PrintDesk:
    """Prints the officer's documents at this kiosk (see module docstring).

    `stage` is the last stage reported for the current job (None: nothing to show);
    `notify()` is called after every change the UI shows.
    """

    def __init__(
        self,
        config: PrinterSection,
        hub: HubDocuments,
        notify: Callable[[], None],
        queue_path: Path,
        printer_factory: Callable[[PrinterSection], Printer] | None = None,
    ) -> None:
        self.config = config
        self._hub = hub
        self._notify = notify
        self._queue_path = queue_path
        self._factory = printer_factory or _open
        self._printer: Printer | None = None
        self._queue: PrintQueue | None = None
        self._lock = asyncio.Lock()  # one queue pass at a time: never two submits of one key
        self._tasks = TaskKeeper("printing")
        self.stage: DeviceStage | None = None
        self.error: str | None = None  # DeviceErrorCode value of the last failure
        self.title: str | None = None
        self.printed = 0

    def queue(self) -> PrintQueue:
        """The durable queue (opened, with its printer, on first use)."""
        if self._queue is None:
            self._printer = self._factory(self.config)
            self._queue_path.parent.mkdir(parents=True, exist_ok=True)
            self._queue = PrintQueue(self._queue_path, self._printer)
        return self._queue

    def handle_command(self, session_id: str | None, command: DeviceCommand) -> None:
        """A `print` command from the hub (called on the hub client's reader: never blocks)."""
        document_id = command.params.get("document_id")
        if session_id is None or command.session_id != session_id:
            self._tasks.start(self._fail(command, DeviceErrorCode.BUSY, None), "print-refuse")
            return
        if not isinstance(document_id, str) or not DOCUMENT_ID.match(document_id):
            self._tasks.start(
                self._fail(command, DeviceErrorCode.FETCH_FAILED, "bad_id"), "print-refuse"
            )
            return
        expected = command.params.get("sha256")
        self._tasks.start(
            self._print(command, document_id, expected if isinstance(expected, str) else None),
            "print",
        )

    async def _print(self, command: DeviceCommand, document_id: str, expected: str | None) -> None:
        self.error = None
        try:
            info, pdf = await fetch_document(self._hub, document_id)
        except DocumentFetchError as exc:
            log.warning("print: document not fetched (%s)", exc.reason)
            await self._fail(command, DeviceErrorCode.FETCH_FAILED, exc.reason)
            return
        if expected is not None and expected != info.sha256:
            await self._fail(command, DeviceErrorCode.FETCH_FAILED, "sha256_mismatch")
            return
        self.title = info.title
        media = Media.A4 if info.paper == "A4" else Media.A5
        try:
            queue = self.queue()
            queue.submit(document_id, pdf, PrintOptions(media=media, title=f"doc-{document_id}"))
        except (PrinterError, ValueError, OSError) as exc:
            log.error("print: queueing failed: %s", exc)
            await self._fail(command, DeviceErrorCode.PRINT_FAILED, "queue")
            return
        await self._follow(command, document_id)

    async def _follow(self, command: DeviceCommand, key: str) -> None:
        last: DeviceStage | None = None
        try:
            async with asyncio.timeout(FOLLOW_LIMIT_S):
                while True:
                    stage, failed = await self._pass(key)
                    if failed is not None:
                        await self._fail(command, failed, None)
                        return
                    if stage != last and stage is not None:
                        last = stage
                        await self._progress(command, stage)
                    if stage == "done":
                        self.printed += 1
                        return
                    await asyncio.sleep(self.config.poll_s)
        except TimeoutError:
            log.info("print: stopped following %s; the queue keeps it", key)

    async def _pass(self, key: str) -> tuple[DeviceStage | None, DeviceErrorCode | None]:
        """One queue pass; the stage to show, or the failure that ends the command."""
        queue = self.queue()
        async with self._lock:
            await queue.process()
        entry = queue.get(key)
        if entry is None:  # pragma: no cover - submitted above, never deleted
            return None, DeviceErrorCode.INTERNAL
        if entry.state is EntryState.PRINTED:
            return "done", None
        if entry.state in (EntryState.FAILED, EntryState.CANCELLED):
            return None, DeviceErrorCode.PRINT_FAILED
        assert self._printer is not None
        try:
            status = await self._printer.status()
        except PrinterNotFound:
            return None, DeviceErrorCode.NO_PRINTER
        except PrinterError:
            return "offline", None
        for condition in (status.state, *sorted(status.conditions)):
            if condition in _CONDITION_STAGES:
                return _CONDITION_STAGES[condition], None
        return ("printing" if entry.state is EntryState.SUBMITTED else "queued"), None

    async def run_queue(self, stop: asyncio.Event, interval: float = 2.0) -> None:
        """Retry what is left in the queue (after a restart, a fixed printer) until `stop`."""
        while not stop.is_set():
            if self._queue is not None or self._queue_path.exists():
                try:
                    async with self._lock:
                        await self.queue().process()
                except Exception:
                    log.exception("print queue pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    async def _progress(self, command: DeviceCommand, stage: DeviceStage) -> None:
        self.stage = stage
        self._notify()
        message = DeviceProgress(
            session_id=command.session_id,
            command_id=command.command_id,
            kind="print",
            stage=stage,
        )
        try:
            await self._hub.request(message)
        except HubError as exc:
            log.info("print progress not delivered: %s", exc)

    async def _fail(
        self, command: DeviceCommand, code: DeviceErrorCode, reason: str | None
    ) -> None:
        if code is not DeviceErrorCode.BUSY:  # a refused stray command changes nothing shown
            self.stage = None
            self.error = code.value
            self._notify()
        message = DeviceFailed(
            session_id=command.session_id,
            command_id=command.command_id,
            kind="print",
            code=code,
            reason=reason,
            message=f"print failed: {code.value}",
        )
        try:
            await self._hub.request(message)
        except HubError as exc:
            log.info("print failure not delivered: %s", exc)

    def session_over(self) -> None:
        """The call ended: clear what the touch screen shows (the queue keeps its jobs)."""
        self.stage = None
        self.error = None
        self.title = None
        self._notify()

    async def close(self) -> None:
        """Stop following jobs and close the queue and the printer."""
        await self._tasks.cancel_all()
        if self._queue is not None:
            self._queue.close()
            self._queue = None
        if self._printer is not None:
            await self._printer.close()
            self._printer = None


def _open(config: PrinterSection) -> Printer:
    return open_printer(config.backend, config.name, config.server, config.folder)
