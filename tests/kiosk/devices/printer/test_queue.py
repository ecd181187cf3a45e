"""The durable print queue and the simulated printer: retries, no double printing, recovery."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiosk.devices.printer import (
    EntryState,
    InvalidDocument,
    JobPhase,
    Media,
    PrinterState,
    PrintOptions,
    PrintQueue,
    SimulatedPrinter,
    open_printer,
)
from kiosk.devices.printer.contract import status_from_ipp
from kiosk.devices.printer.queue import job_title
from shared.documents import render_receipt
from tests.support import document_samples as samples


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_receipt(samples.receipt()).pdf


def test_ipp_reasons_map_to_typed_states() -> None:
    assert status_from_ipp("p", 3, ["none"]).state is PrinterState.IDLE
    assert status_from_ipp("p", 4, []).state is PrinterState.PRINTING
    assert status_from_ipp("p", 5, []).state is PrinterState.STOPPED
    assert status_from_ipp("p", 5, ["media-empty-error"]).state is PrinterState.PAPER_OUT
    assert status_from_ipp("p", 4, ["media-jam-error"]).state is PrinterState.JAM
    assert status_from_ipp("p", 4, ["offline-report"]).state is PrinterState.OFFLINE
    assert status_from_ipp("p", 5, ["cover-open-error"]).state is PrinterState.COVER_OPEN
    low = status_from_ipp("p", 3, ["toner-low-warning"])
    assert low.state is PrinterState.TONER_LOW and not low.needs_attention
    both = status_from_ipp("p", 5, ["toner-low-warning", "media-empty-error", "offline-report"])
    assert both.state is PrinterState.OFFLINE  # the worst first
    assert both.conditions == {PrinterState.TONER_LOW, PrinterState.PAPER_OUT, PrinterState.OFFLINE}


async def test_simulated_printer_writes_pdfs_and_stops_on_paper_out(
    tmp_path: Path, pdf: bytes
) -> None:
    printer = open_printer("simulated", "sim", folder=tmp_path / "out")
    assert isinstance(printer, SimulatedPrinter)
    job = await printer.print_pdf(pdf, PrintOptions(media=Media.A5, title="回执 1"))
    assert (await printer.job_state(job)).phase is JobPhase.COMPLETED
    [written] = (tmp_path / "out").iterdir()
    assert written.read_bytes() == pdf
    printer.set_condition(PrinterState.PAPER_OUT)
    waiting = await printer.print_pdf(pdf, PrintOptions(title="second"))
    assert (await printer.status()).state is PrinterState.PAPER_OUT
    assert (await printer.job_state(waiting)).phase is JobPhase.PENDING
    await printer.resume()  # not refilled yet: stops again
    assert (await printer.job_state(waiting)).phase is JobPhase.PENDING
    printer.set_condition(None)
    assert (await printer.status()).state is PrinterState.STOPPED
    await printer.resume()
    assert (await printer.job_state(waiting)).phase is JobPhase.COMPLETED
    assert len(list((tmp_path / "out").iterdir())) == 2
    with pytest.raises(InvalidDocument):
        await printer.print_pdf(b"GIF89a", PrintOptions())


async def test_queue_waits_for_a_fixed_printer_and_prints_once(tmp_path: Path, pdf: bytes) -> None:
    printer = SimulatedPrinter(tmp_path / "out")
    queue = PrintQueue(tmp_path / "q.sqlite3", printer)
    printer.set_condition(PrinterState.OFFLINE)
    queue.submit("k1", pdf, PrintOptions())
    for _ in range(3):
        await queue.process()
    entry = queue.get("k1")
    assert entry is not None and entry.state is EntryState.QUEUED  # held back, not sent
    assert entry.last_error == "printer offline" and entry.attempts == 0
    assert list((tmp_path / "out").iterdir()) == []
    printer.set_condition(None)
    assert (await queue.wait("k1", timeout=5)).state is EntryState.PRINTED
    queue.submit("k1", pdf, PrintOptions())  # the same key again: nothing new
    await queue.process()
    assert len(list((tmp_path / "out").iterdir())) == 1
    # A deliberate reprint is only for cancelled or failed jobs.
    with pytest.raises(ValueError, match="printed"):
        queue.retry("k1")
    queue.close()


async def test_queue_survives_a_restart_without_reprinting(tmp_path: Path, pdf: bytes) -> None:
    printer = SimulatedPrinter(tmp_path / "out")
    db = tmp_path / "q.sqlite3"
    queue = PrintQueue(db, printer)
    queue.submit("sent", pdf, PrintOptions())
    queue.submit("unsent", pdf, PrintOptions())
    # Simulate a crash right after CUPS took "sent" but before the row said so.
    await printer.print_pdf(pdf, PrintOptions(title=job_title("sent")))
    queue.close()
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE print_jobs SET state='submitting' WHERE key='sent'")
    reopened = PrintQueue(db, printer)
    assert reopened.open_keys() == ["sent", "unsent"]
    assert (await reopened.wait("sent", timeout=5)).state is EntryState.PRINTED
    assert (await reopened.wait("unsent", timeout=5)).state is EntryState.PRINTED
    assert len(list((tmp_path / "out").iterdir())) == 2  # one each, "sent" not twice
    reopened.close()


async def test_queue_refuses_bad_input_and_keeps_nothing(tmp_path: Path, pdf: bytes) -> None:
    queue = PrintQueue(tmp_path / "q.sqlite3", SimulatedPrinter(tmp_path / "out"))
    with pytest.raises(InvalidDocument):
        queue.submit("bad", b"not a pdf", PrintOptions())
    with pytest.raises(ValueError, match="key"):
        queue.submit("", pdf, PrintOptions())
    assert queue.open_keys() == []
    with pytest.raises(ValueError):
        PrintOptions(copies=0)
    queue.close()
