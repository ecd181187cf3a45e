"""The kiosk printer: contract, CUPS backend (pycups, or lp/ipptool without it), simulated
printer, durable queue.

    printer = open_printer("cups", name="Kiosk")       # or "simulated", folder=...
    job = await printer.print_pdf(pdf, PrintOptions(media=Media.A5))
    (await printer.job_state(job)).phase, (await printer.status()).state

Print through `PrintQueue` on the kiosk so a document is never printed twice.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.devices.printer import cups_backend
from kiosk.devices.printer.contract import (
    InvalidDocument,
    JobId,
    JobNotFound,
    JobPhase,
    JobState,
    Media,
    Printer,
    PrinterError,
    PrinterNotFound,
    PrinterState,
    PrinterStatus,
    PrinterUnavailable,
    PrintOptions,
    PrintRejected,
)
from kiosk.devices.printer.cups_backend import CupsPrinter
from kiosk.devices.printer.ipp_cli import IppToolPrinter
from kiosk.devices.printer.queue import EntryState, PrintQueue, QueueEntry
from kiosk.devices.printer.simulated import SimulatedPrinter


def open_printer(
    backend: str, name: str = "Kiosk", server: str | None = None, folder: Path | None = None
) -> Printer:
    """A printer by backend name: `cups`, `cups-cli` or `simulated` (PDFs into `folder`).

    `cups` is pycups when it is importable, else the `lp`/`ipptool` fallback that
    `cups-cli` always selects.
    """
    if backend == "cups" and cups_backend.cups is not None:
        return CupsPrinter(name, server)
    if backend in ("cups", "cups-cli"):
        return IppToolPrinter(name, server)
    if backend == "simulated":
        return SimulatedPrinter(folder or Path("var/printed"), name)
    raise ValueError(f"unknown printer backend {backend!r}: use cups, cups-cli or simulated")


__all__ = [
    "CupsPrinter",
    "EntryState",
    "InvalidDocument",
    "IppToolPrinter",
    "JobId",
    "JobNotFound",
    "JobPhase",
    "JobState",
    "Media",
    "PrintOptions",
    "PrintQueue",
    "PrintRejected",
    "Printer",
    "PrinterError",
    "PrinterNotFound",
    "PrinterState",
    "PrinterStatus",
    "PrinterUnavailable",
    "QueueEntry",
    "SimulatedPrinter",
    "open_printer",
]
