"""CUPS through pycups: IPP attributes in, typed states out.

pycups is a blocking C library binding, so every call runs on this printer's own
single-thread executor (one connection, one thread), awaited from asyncio.
`server` is a host, `host:port`, or a domain socket path; None means the CUPS
default (`CUPS_SERVER`, then the system's).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from kiosk.devices.printer.contract import (
    JobId,
    JobNotFound,
    JobPhase,
    JobState,
    Printer,
    PrinterError,
    PrinterNotFound,
    PrinterStatus,
    PrinterUnavailable,
    PrintOptions,
    PrintRejected,
    check_pdf,
    status_from_ipp,
)

try:
    import cups
except ImportError:  # the lp/ipptool fallback is used instead (see backends.open_printer)
    cups = None

T = TypeVar("T")

IPP_NOT_FOUND = 0x0406
IPP_NOT_POSSIBLE = 0x0404
IPP_NOT_ACCEPTING = 0x0506
_PRINTER_ATTRS = [
    "printer-state",
    "printer-state-reasons",
    "printer-state-message",
    "printer-is-accepting-jobs",
]
_JOB_ATTRS = ["job-state", "job-state-reasons", "job-printer-state-message", "job-printer-uri"]


def split_server(server: str | None) -> tuple[str | None, int | None]:
    """`host:port` -> (host, port); a socket path or bare host has no port."""
    if server is None or server.startswith("/"):
        return server, None
    host, sep, port = server.rpartition(":")
    if sep and port.isdigit() and host:
        return host, int(port)
    return server, None


class CupsPrinter(Printer):
    """One CUPS queue, driven through pycups on a dedicated thread."""

    def __init__(self, name: str, server: str | None = None) -> None:
        if cups is None:
            raise PrinterUnavailable("pycups is not installed")
        self.name = name
        self._server = server or os.environ.get("CUPS_SERVER")
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"cups-{name}")
        self._conn: Any = None

    async def _call(self, fn: Callable[[Any], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._on_thread, fn)

    def _on_thread(self, fn: Callable[[Any], T]) -> T:
        if self._conn is None:
            host, port = split_server(self._server)
            try:
                if host is None:
                    self._conn = cups.Connection()
                elif port is None:
                    self._conn = cups.Connection(host=host)
                else:
                    self._conn = cups.Connection(host=host, port=port)
            except RuntimeError as exc:
                raise PrinterUnavailable(f"cannot reach CUPS at {self._server}: {exc}") from exc
        try:
            return fn(self._conn)
        except cups.IPPError as exc:
            status, message = exc.args[0], str(exc.args[1]) if len(exc.args) > 1 else ""
            raise self._ipp_error(status, message) from exc
        except (cups.HTTPError, RuntimeError) as exc:
            self._conn = None  # reconnect next time: cupsd may have restarted
            raise PrinterUnavailable(f"CUPS connection failed: {exc}") from exc

    def _ipp_error(self, status: int, message: str) -> PrinterError:
        if status == IPP_NOT_FOUND:
            return PrinterNotFound(f"printer {self.name!r} not found ({message})")
        if status == IPP_NOT_ACCEPTING:
            return PrintRejected(f"printer {self.name!r} is not accepting jobs ({message})")
        return PrinterError(f"CUPS refused: {message} (IPP status 0x{status:04x})")

    async def print_pdf(self, data: bytes, options: PrintOptions) -> JobId:
        """Send the PDF with media and copies as IPP job attributes."""
        check_pdf(data)
        job_options = {"media": options.media.value, "copies": str(options.copies)}

        def submit(conn: Any) -> int:
            # Fail before uploading when the queue does not exist.
            conn.getPrinterAttributes(self.name, requested_attributes=["printer-state"])
            with tempfile.NamedTemporaryFile(suffix=".pdf") as tmp:
                tmp.write(data)
                tmp.flush()
                return int(conn.printFile(self.name, tmp.name, options.title, job_options))

        return JobId(self.name, await self._call(submit))

    async def job_state(self, job: JobId) -> JobState:
        """`job-state` and `job-state-reasons` of the job."""

        def get(conn: Any) -> dict[str, Any]:
            return dict(conn.getJobAttributes(job.number, requested_attributes=_JOB_ATTRS))

        try:
            attrs = await self._call(get)
        except PrinterNotFound as exc:
            raise JobNotFound(f"job {job} not found") from exc
        reasons = attrs.get("job-state-reasons", ())
        if isinstance(reasons, str):
            reasons = [reasons]
        return JobState(
            job,
            JobPhase(int(attrs["job-state"])),
            tuple(str(r) for r in reasons if r != "none"),
            str(attrs.get("job-printer-state-message", "")),
        )

    async def status(self) -> PrinterStatus:
        """`printer-state` and `printer-state-reasons` as a typed status."""

        def get(conn: Any) -> dict[str, Any]:
            return dict(conn.getPrinterAttributes(self.name, requested_attributes=_PRINTER_ATTRS))

        attrs = await self._call(get)
        reasons = attrs.get("printer-state-reasons", [])
        if isinstance(reasons, str):
            reasons = [reasons]
        return status_from_ipp(
            self.name,
            int(attrs.get("printer-state", 3)),
            [str(r) for r in reasons],
            str(attrs.get("printer-state-message", "")),
            bool(attrs.get("printer-is-accepting-jobs", True)),
        )

    async def find_job(self, title: str) -> JobId | None:
        """The newest job on this queue named `title`."""
        suffix = f"/printers/{self.name}"

        def find(conn: Any) -> int | None:
            jobs = conn.getJobs(
                which_jobs="all", requested_attributes=["job-id", "job-name", "job-printer-uri"]
            )
            matches = [
                int(number)
                for number, attrs in jobs.items()
                if attrs.get("job-name") == title
                and str(attrs.get("job-printer-uri", "")).endswith(suffix)
            ]
            return max(matches) if matches else None

        number = await self._call(find)
        return None if number is None else JobId(self.name, number)

    async def cancel(self, job: JobId) -> None:
        """Cancel the job; already finished jobs are left alone."""

        def cancel(conn: Any) -> None:
            try:
                conn.cancelJob(job.number)
            except cups.IPPError as exc:
                if exc.args[0] != IPP_NOT_POSSIBLE:  # already completed or cancelled
                    raise

        try:
            await self._call(cancel)
        except PrinterNotFound as exc:
            raise JobNotFound(f"job {job} not found") from exc

    async def resume(self) -> None:
        """Enable the queue and let it accept jobs again (CUPS retries the waiting job)."""

        def resume(conn: Any) -> None:
            conn.enablePrinter(self.name)
            conn.acceptJobs(self.name)

        await self._call(resume)

    async def close(self) -> None:
        """Stop the executor thread."""
        self._executor.shutdown(wait=False)
