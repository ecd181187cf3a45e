"""The CUPS backend against a private cupsd: cups-pdf output, paper out, offline, bad input."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from kiosk.devices.printer import (
    CupsPrinter,
    EntryState,
    InvalidDocument,
    JobId,
    JobNotFound,
    JobPhase,
    Media,
    PrinterNotFound,
    PrinterState,
    PrinterUnavailable,
    PrintOptions,
    PrintQueue,
)
from shared.documents import PaperSize, RenderOptions, render_form, render_receipt
from tests.support import document_samples as samples

if TYPE_CHECKING:
    from tests.support.cups_fixtures import CupsServer


A5_PT = (420, 595)


async def _until(printer: CupsPrinter, job: object, phases: set[JobPhase], timeout: float = 20):
    async with asyncio.timeout(timeout):
        while True:
            state = await printer.job_state(job)  # type: ignore[arg-type]
            if state.phase in phases:
                return state
            await asyncio.sleep(0.1)


async def _status_until(printer: CupsPrinter, state: PrinterState, timeout: float = 20):
    async with asyncio.timeout(timeout):
        while (status := await printer.status()).state is not state:  # noqa: ASYNC110 - IPP is polled
            await asyncio.sleep(0.1)
        return status


@pytest.fixture
async def scripted(cups_server: CupsServer):
    cups_server.set_condition("ok")
    printer = CupsPrinter("SCRIPTED", cups_server.server)
    await printer.resume()
    yield printer
    cups_server.set_condition("ok")
    await printer.resume()
    await printer.close()


async def test_cups_pdf_queue_prints_receipt_with_right_pages_and_size(
    cups_server: CupsServer,
) -> None:
    printer = CupsPrinter("PDF", cups_server.server)
    title = f"receipt-{uuid.uuid4().hex[:8]}"
    form = render_form(samples.form(paragraphs=12), RenderOptions(paper=PaperSize.A5))
    assert (await printer.status()).state is PrinterState.IDLE
    job = await printer.print_pdf(form.pdf, PrintOptions(media=Media.A5, title=title))
    state = await _until(printer, job, {JobPhase.COMPLETED, JobPhase.ABORTED}, timeout=30)
    assert state.phase is JobPhase.COMPLETED, (state, cups_server.error_log()[-1500:])
    out_dir = Path.home() / "PDF"
    deadline = time.monotonic() + 10
    # cups-pdf writes its file just after the job completes.
    while not (outputs := list(out_dir.glob(f"{title}*.pdf"))) and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    assert len(outputs) == 1, list(out_dir.iterdir())
    try:
        info = subprocess.run(  # noqa: ASYNC221 - a short pdfinfo in a test
            ["pdfinfo", str(outputs[0])], capture_output=True, text=True, check=True, timeout=20
        ).stdout
        pages = int(next(x for x in info.splitlines() if x.startswith("Pages:")).split()[1])
        size = next(x for x in info.splitlines() if x.startswith("Page size")).split()
        assert pages == form.pages
        # The cups-pdf PPD rounds A5 to whole points (421 x 595).
        assert abs(float(size[2]) - A5_PT[0]) <= 2 and abs(float(size[4]) - A5_PT[1]) <= 2
    finally:
        outputs[0].unlink()
    assert await printer.find_job(title) == job
    await printer.close()


async def test_paper_out_waits_then_completes_once_after_refill(
    cups_server: CupsServer,
    scripted: CupsPrinter,
    tmp_path: Path,
) -> None:
    queue = PrintQueue(tmp_path / "queue.sqlite3", scripted)
    pdf = render_receipt(samples.receipt()).pdf
    key = f"receipt-{uuid.uuid4().hex[:8]}"
    cups_server.set_condition("media-empty")
    entry = queue.submit(key, pdf, PrintOptions(media=Media.A5))
    await queue.process()
    entry = queue.get(key)
    assert entry is not None and entry.state is EntryState.SUBMITTED and entry.job is not None
    status = await _status_until(scripted, PrinterState.PAPER_OUT)
    assert "media-empty-error" in status.reasons and status.needs_attention
    # The backend reports paper out, then exits 4: the job goes back to wait in the stopped queue.
    job_state = await _until(scripted, entry.job, {JobPhase.PENDING})
    assert job_state.phase is JobPhase.PENDING
    # The same document again (a double tap, a resent command) prints nothing new.
    assert queue.submit(key, pdf, PrintOptions(media=Media.A5)).job == entry.job
    await queue.process()
    assert not any(title == f"rvw-{key}" for _, title in cups_server.printed())
    # Refill and re-enable: the waiting job completes, exactly once.
    cups_server.set_condition("ok")
    await scripted.resume()
    done = await queue.wait(key, timeout=20)
    assert done.state is EntryState.PRINTED
    await queue.process()
    assert [t for _, t in cups_server.printed()].count(f"rvw-{key}") == 1
    assert (await _status_until(scripted, PrinterState.IDLE)).conditions == frozenset()
    queue.close()


async def test_offline_is_reported_while_the_job_waits(
    cups_server: CupsServer,
    scripted: CupsPrinter,
) -> None:
    cups_server.set_condition("offline")
    job = await scripted.print_pdf(render_receipt(samples.receipt()).pdf, PrintOptions())
    status = await _status_until(scripted, PrinterState.OFFLINE)
    assert PrinterState.OFFLINE in status.conditions
    assert (await scripted.job_state(job)).phase is JobPhase.PROCESSING
    cups_server.set_condition("ok")
    assert (await _until(scripted, job, {JobPhase.COMPLETED})).phase is JobPhase.COMPLETED


async def test_job_cancelled_mid_way_is_not_printed_and_not_retried(
    cups_server: CupsServer,
    scripted: CupsPrinter,
    tmp_path: Path,
) -> None:
    queue = PrintQueue(tmp_path / "queue.sqlite3", scripted)
    key = f"slow-{uuid.uuid4().hex[:8]}"
    cups_server.set_condition("slow")
    queue.submit(key, render_receipt(samples.receipt()).pdf, PrintOptions())
    await queue.process()
    entry = queue.get(key)
    assert entry is not None and entry.job is not None
    await _until(scripted, entry.job, {JobPhase.PROCESSING})
    await scripted.cancel(entry.job)
    done = await queue.wait(key, timeout=20)
    assert done.state is EntryState.CANCELLED
    cups_server.set_condition("ok")
    await queue.process()
    assert queue.get(key).state is EntryState.CANCELLED  # type: ignore[union-attr]
    assert all(title != f"rvw-{key}" for _, title in cups_server.printed())
    queue.close()


async def test_printer_that_does_not_exist(cups_server: CupsServer, tmp_path: Path) -> None:
    printer = CupsPrinter("NO_SUCH_PRINTER", cups_server.server)
    pdf = render_receipt(samples.receipt()).pdf
    with pytest.raises(PrinterNotFound, match="NO_SUCH_PRINTER"):
        await printer.status()
    with pytest.raises(PrinterNotFound):
        await printer.print_pdf(pdf, PrintOptions())
    # Through the queue: nothing lost, the document waits for the printer to appear.
    queue = PrintQueue(tmp_path / "q.sqlite3", printer)
    queue.submit("doc-1", pdf, PrintOptions())
    await queue.process()
    entry = queue.get("doc-1")
    assert entry is not None and entry.state is EntryState.QUEUED
    assert "not found" in entry.last_error
    queue.close()
    await printer.close()


async def test_not_a_pdf_is_refused_before_cups(
    cups_server: CupsServer,
    scripted: CupsPrinter,
    tmp_path: Path,
) -> None:
    before = len(cups_server.printed())
    with pytest.raises(InvalidDocument, match="not a PDF"):
        await scripted.print_pdf(b"hello, printer", PrintOptions())
    truncated = render_receipt(samples.receipt()).pdf[:2000]
    with pytest.raises(InvalidDocument, match="truncated"):
        await scripted.print_pdf(truncated, PrintOptions())
    queue = PrintQueue(tmp_path / "q.sqlite3", scripted)
    with pytest.raises(InvalidDocument):
        queue.submit("junk", b"<html>", PrintOptions())
    assert queue.get("junk") is None
    queue.close()
    with pytest.raises(JobNotFound):
        await scripted.job_state(JobId("SCRIPTED", 999999))
    assert len(cups_server.printed()) == before


async def test_unreachable_cups_is_unavailable(tmp_path: Path) -> None:
    printer = CupsPrinter("PDF", str(tmp_path / "no.sock"))
    with pytest.raises(PrinterUnavailable):
        await printer.status()
    await printer.close()


def test_cli_status_and_test_page(cups_server: CupsServer) -> None:
    env = cups_server.env
    base = [sys.executable, "-m", "kiosk.devices", "printer", "--name", "SCRIPTED"]
    status = subprocess.run(
        [*base, "status"], check=False, env=env, capture_output=True, text=True, timeout=30
    )
    assert status.returncode == 0, status.stderr
    assert '"state": "idle"' in status.stdout
    page = subprocess.run(
        [*base, "test-page", "--media", "A5"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert page.returncode == 0, page.stderr
    assert '"state": "completed"' in page.stdout
    missing = subprocess.run(
        [*base[:-1], "NOPE", "status"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert missing.returncode == 1 and "not found" in missing.stderr
