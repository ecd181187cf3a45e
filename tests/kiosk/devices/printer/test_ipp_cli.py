"""The lp/ipptool fallback against the private cupsd: the pycups scenarios again, and its own.

The scenarios of tests/kiosk/devices/printer/test_cups.py (cups-pdf output, paper out then refill,
offline, cancel mid-way, missing printer, not a PDF, unreachable CUPS) run here
unchanged, with every printer they build an `IppToolPrinter`: each test function is
cloned with `CupsPrinter` in its globals bound to the fallback, so the two backends
are held to the very same assertions without a copy of them.
"""

from __future__ import annotations

import subprocess
import sys
import types
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from kiosk.devices.printer import (
    IppToolPrinter,
    PrinterError,
    PrinterNotFound,
    PrinterState,
    PrinterUnavailable,
    PrintOptions,
    PrintRejected,
    cups_backend,
    open_printer,
)
from kiosk.devices.printer.ipp_cli import enum_value, parse_plist, printer_uri
from shared.documents import render_receipt
from tests.kiosk.devices.printer import test_cups as pycups_tests
from tests.support import document_samples as samples

if TYPE_CHECKING:
    from tests.support.cups_fixtures import CupsServer


def _on_fallback(test: Callable[..., Any]) -> Callable[..., Any]:
    """`test` from test_printer_cups with `CupsPrinter` meaning `IppToolPrinter`."""
    scope = {**test.__globals__, "CupsPrinter": IppToolPrinter}
    clone = types.FunctionType(
        test.__code__, scope, test.__name__, test.__defaults__, test.__closure__
    )
    clone.__doc__ = test.__doc__
    return clone


test_cups_pdf_queue_prints_receipt_with_right_pages_and_size = _on_fallback(
    pycups_tests.test_cups_pdf_queue_prints_receipt_with_right_pages_and_size
)
test_paper_out_waits_then_completes_once_after_refill = _on_fallback(
    pycups_tests.test_paper_out_waits_then_completes_once_after_refill
)
test_offline_is_reported_while_the_job_waits = _on_fallback(
    pycups_tests.test_offline_is_reported_while_the_job_waits
)
test_job_cancelled_mid_way_is_not_printed_and_not_retried = _on_fallback(
    pycups_tests.test_job_cancelled_mid_way_is_not_printed_and_not_retried
)
test_printer_that_does_not_exist = _on_fallback(pycups_tests.test_printer_that_does_not_exist)
test_not_a_pdf_is_refused_before_cups = _on_fallback(
    pycups_tests.test_not_a_pdf_is_refused_before_cups
)
test_unreachable_cups_is_unavailable = _on_fallback(
    pycups_tests.test_unreachable_cups_is_unavailable
)


@pytest.fixture
async def scripted(cups_server: CupsServer) -> AsyncIterator[IppToolPrinter]:
    """The SCRIPTED queue through lp/ipptool, healthy before and after the test."""
    cups_server.set_condition("ok")
    printer = IppToolPrinter("SCRIPTED", cups_server.server)
    await printer.resume()
    yield printer
    cups_server.set_condition("ok")
    await printer.resume()
    await printer.close()


def test_open_printer_picks_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(open_printer("cups-cli", "Q", "/tmp/x.sock"), IppToolPrinter)
    if cups_backend.cups is not None:
        assert not isinstance(open_printer("cups", "Q", "/tmp/x.sock"), IppToolPrinter)
    # A kiosk where pycups could not be built still prints.
    monkeypatch.setattr(cups_backend, "cups", None)
    assert isinstance(open_printer("cups", "Q", "/tmp/x.sock"), IppToolPrinter)
    with pytest.raises(ValueError, match="cups-cli"):
        open_printer("lpr")


def test_missing_tools_are_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PrinterUnavailable, match="cups-ipp-utils"):
        IppToolPrinter("PDF")


def test_printer_uri_for_every_server_form() -> None:
    assert printer_uri("Q", "/run/x/cups.sock") == "ipp://%2Frun%2Fx%2Fcups.sock/printers/Q"
    assert printer_uri("Q", "print.local:8631") == "ipp://print.local:8631/printers/Q"
    assert printer_uri("Q", "print.local") == "ipp://print.local:631/printers/Q"
    assert printer_uri("Q", "::1") == "ipp://[::1]:631/printers/Q"
    assert printer_uri("Q", "[::1]:8631") == "ipp://[::1]:8631/printers/Q"
    assert printer_uri("A B", "h:1/version=1.1") == "ipp://h:1/printers/A%20B"


def test_enums_by_number_or_by_keyword() -> None:
    jobs = {"completed": 9, "processing": 5}
    assert [enum_value(v, jobs) for v in (9, "9", "completed", " processing")] == [9, 9, 9, 5]
    assert [enum_value(v, jobs) for v in ("done", None, True, "")] == [None] * 4


def test_output_that_is_not_ipptools_is_an_error() -> None:
    with pytest.raises(PrinterError, match="no readable answer: ipptool: bad URI"):
        parse_plist(b"", "ipptool: bad URI")
    with pytest.raises(PrinterError, match="no Tests"):
        parse_plist(b'<?xml version="1.0"?><plist version="1.0"><dict></dict></plist>')


async def test_state_is_read_the_same_under_a_chinese_locale(
    cups_server: CupsServer, scripted: IppToolPrinter, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The kiosk runs in zh_CN: lp and ipptool must still answer in IPP keywords.
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    monkeypatch.setenv("LC_MESSAGES", "zh_CN.UTF-8")
    title = f"回执-{uuid.uuid4().hex[:8]}"
    job = await scripted.print_pdf(render_receipt(samples.receipt()).pdf, PrintOptions(title=title))
    assert await scripted.find_job(title) == job
    done = await pycups_tests._until(scripted, job, {pycups_tests.JobPhase.COMPLETED})  # type: ignore[arg-type]
    assert done.job == job
    assert (str(job.number), title) in cups_server.printed()
    missing = IppToolPrinter("NO_SUCH_PRINTER", cups_server.server)
    with pytest.raises(PrinterNotFound):
        await missing.status()
    await missing.close()


async def test_queue_that_refuses_jobs_is_rejected_until_resumed(
    cups_server: CupsServer, scripted: IppToolPrinter
) -> None:
    pdf = render_receipt(samples.receipt()).pdf
    before = len(cups_server.printed())
    subprocess.run(  # noqa: ASYNC221 - a short admin command in a test
        ["cupsreject", "SCRIPTED"], env=cups_server.env, check=True, timeout=20
    )
    status = await scripted.status()
    assert status.accepting is False
    with pytest.raises(PrintRejected, match="not accepting"):
        await scripted.print_pdf(pdf, PrintOptions())
    assert len(cups_server.printed()) == before
    await scripted.resume()  # Resume-Printer + CUPS-Accept-Jobs
    assert (await scripted.status()).accepting is True
    job = await scripted.print_pdf(pdf, PrintOptions())
    await pycups_tests._until(scripted, job, {pycups_tests.JobPhase.COMPLETED})  # type: ignore[arg-type]
    assert (await scripted.status()).state is PrinterState.IDLE


def test_cli_with_the_fallback_backend(cups_server: CupsServer) -> None:
    env = {**cups_server.env, "LC_ALL": "zh_CN.UTF-8", "LANG": "zh_CN.UTF-8"}
    base = [sys.executable, "-m", "kiosk.devices", "printer", "--backend", "cups-cli"]
    status = subprocess.run(
        [*base, "--name", "SCRIPTED", "status"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert status.returncode == 0, status.stderr
    assert '"state": "idle"' in status.stdout
    page = subprocess.run(
        [*base, "--name", "SCRIPTED", "test-page", "--media", "A5"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert page.returncode == 0, page.stderr
    assert '"state": "completed"' in page.stdout
    missing = subprocess.run(
        [*base, "--name", "NOPE", "status"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert missing.returncode == 1 and "not found" in missing.stderr
