"""CUPS without pycups: jobs go in through `lp`, states come out of IPP through `ipptool`.

The fallback for a kiosk where pycups cannot be built. `lp -d QUEUE -o media=.. -n N -t TITLE`
submits; every state is an IPP request (Get-Printer-Attributes, Get-Job-Attributes,
Get-Jobs, Cancel-Job, Resume-Printer + CUPS-Accept-Jobs) that `ipptool` sends from a small
.test file this module writes. ipptool answers as an XML plist (`-X`), read with the
standard library's `plistlib`: enums arrive as integers and reasons as IPP keywords, so
nothing depends on the language of the kiosk (children run with LC_ALL=C all the same).
`lpstat`, whose text is translated, is never parsed.

Each child process is a blocking call, so all of them run on this printer's own
single-thread executor, awaited from asyncio (qasync loops need no subprocess support).
"""

from __future__ import annotations

import asyncio
import os
import plistlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote
from xml.parsers.expat import ExpatError

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

T = TypeVar("T")

# libcups' default when CUPS_SERVER is unset: its domain socket, else localhost:631.
DEFAULT_SOCKET = Path("/run/cups/cups.sock")
CHILD_TIMEOUT = 30.0  # seconds for one lp or ipptool run (ipptool itself gets -T 10)

_HEADER = """  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR name requesting-user-name $user
"""
# One .test file per request. `requesting-user-name` matters: without it CUPS hides
# job names in Get-Jobs, and find_job could not find a job by its title.
_REQUESTS: dict[str, list[tuple[str, str]]] = {
    "printer": [
        (
            "Get-Printer-Attributes",
            "  ATTR keyword requested-attributes printer-state,printer-state-reasons,"
            "printer-state-message,printer-is-accepting-jobs\n",
        )
    ],
    "job": [
        (
            "Get-Job-Attributes",
            "  ATTR integer job-id $job_id\n"
            "  ATTR keyword requested-attributes job-id,job-state,job-state-reasons,"
            "job-printer-state-message\n",
        )
    ],
    "jobs": [
        (
            "Get-Jobs",
            "  ATTR keyword which-jobs all\n  ATTR keyword requested-attributes job-id,job-name\n",
        )
    ],
    "cancel": [("Cancel-Job", "  ATTR integer job-id $job_id\n")],
    "resume": [("Resume-Printer", ""), ("CUPS-Accept-Jobs", "")],
}


def request_file_text(request: str) -> str:
    """The ipptool .test file for one of `printer`, `job`, `jobs`, `cancel`, `resume`."""
    blocks = [
        f'{{\n  NAME "{op}"\n  OPERATION {op}\n{_HEADER}{extra}}}\n'
        for op, extra in _REQUESTS[request]
    ]
    return "".join(blocks)


def printer_uri(name: str, server: str | None) -> str:
    """The IPP URI of queue `name` on `server` (socket path, `host`, `host:port`, or None)."""
    if server is None:
        server = str(DEFAULT_SOCKET) if DEFAULT_SOCKET.exists() else "localhost:631"
    server = server.split("/version=", 1)[0]  # CUPS_SERVER may carry an IPP version
    if server.startswith("/"):
        # libcups reads a %-encoded host that is a path as a domain socket.
        authority = quote(server, safe="")
    else:
        host, sep, port = server.rpartition(":")
        if not (sep and port.isdigit() and host) or (":" in host and not host.endswith("]")):
            host, port = server, "631"  # bare host or bare IPv6 address
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        authority = f"{host}:{port}"
    return f"ipp://{authority}/printers/{quote(name, safe='')}"


@dataclass(frozen=True)
class IppResponse:
    """One IPP response: status keyword, message, and the non-operation attribute groups."""

    status: str
    message: str = ""
    groups: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True for successful-ok and its -ignored-... / -conflicting-... variants."""
        return self.status.startswith("successful-ok")


def parse_plist(output: bytes, stderr: str = "") -> list[IppResponse]:
    """Read ipptool's `-X` plist: one `IppResponse` per test in the file.

    `PrinterUnavailable` when ipptool could not reach CUPS (no test ran);
    `PrinterError` when the output is not ipptool's plist at all.
    """
    # With more than one test in a file ipptool 2.4 appends a text summary after the plist.
    end = output.rfind(b"</plist>")
    if end >= 0:
        output = output[: end + len(b"</plist>")]
    try:
        doc = plistlib.loads(output)
    except (plistlib.InvalidFileException, ExpatError, ValueError, TypeError) as exc:
        detail = stderr.strip() or output[:200].decode(errors="replace")
        raise PrinterError(f"ipptool gave no readable answer: {detail}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("Tests"), list):
        raise PrinterError("ipptool's answer has no Tests list")
    tests = doc["Tests"]
    if not tests:
        error = str(doc.get("ErrorMessage") or stderr.strip() or "no request was sent")
        raise PrinterUnavailable(f"cannot reach CUPS: {error}")
    responses = []
    for test in tests:
        groups = [g for g in test.get("ResponseAttributes", []) if isinstance(g, dict)]
        operation = next((g for g in groups if "attributes-charset" in g), {})
        responses.append(
            IppResponse(
                status=str(test.get("StatusCode", "")),
                message=str(operation.get("status-message", "")),
                groups=[g for g in groups if "attributes-charset" not in g],
            )
        )
    return responses


def _as_list(value: Any) -> list[str]:
    """A 1setOf attribute as a list (plist gives a bare value when there is one)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


# Enum keywords, should an ipptool ever print an enum by name instead of by number.
_PRINTER_STATES = {"idle": 3, "processing": 4, "stopped": 5}
_JOB_STATES = {
    "pending": 3,
    "pending-held": 4,
    "processing": 5,
    "processing-stopped": 6,
    "canceled": 7,
    "aborted": 8,
    "completed": 9,
}


def enum_value(value: Any, names: dict[str, int]) -> int | None:
    """An IPP enum as its number, whether ipptool gave the number or the keyword."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isdigit() else names.get(text)


def _job_number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class IppToolPrinter(Printer):
    """One CUPS queue driven through the `lp` and `ipptool` programs on a dedicated thread."""

    def __init__(self, name: str, server: str | None = None) -> None:
        missing = [tool for tool in ("lp", "ipptool") if shutil.which(tool) is None]
        if missing:
            raise PrinterUnavailable(
                f"{' and '.join(missing)} not found: install cups-client and cups-ipp-utils"
            )
        self.name = name
        self._server = server or os.environ.get("CUPS_SERVER")
        self._uri = printer_uri(name, self._server)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"ipptool-{name}")
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._closed = False

    # -- children, on the executor thread ----------------------------------------------

    def _env(self) -> dict[str, str]:
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        if self._server:
            env["CUPS_SERVER"] = self._server
        return env

    def _test_file(self, request: str) -> str:
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="rvw-ipptool-")
        path = Path(self._dir.name) / f"{request}.test"
        if not path.exists():
            path.write_text(request_file_text(request))
        return str(path)

    def _ipptool(self, request: str, job: int | None = None) -> list[IppResponse]:
        args = ["ipptool", "-X", "-T", "10"]
        if job is not None:
            args += ["-d", f"job_id={job}"]
        args += [self._uri, self._test_file(request)]
        try:
            done = subprocess.run(
                args, env=self._env(), capture_output=True, timeout=CHILD_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise PrinterUnavailable(
                f"ipptool got no answer from CUPS in {CHILD_TIMEOUT} s"
            ) from exc
        return parse_plist(done.stdout, done.stderr.decode(errors="replace"))

    def _lp(self, data: bytes, options: PrintOptions) -> str:
        with tempfile.NamedTemporaryFile(suffix=".pdf") as tmp:
            tmp.write(data)
            tmp.flush()
            args = ["lp", "-d", self.name, "-o", f"media={options.media.value}"]
            args += ["-n", str(options.copies), "-t", options.title, tmp.name]
            try:
                done = subprocess.run(
                    args, env=self._env(), capture_output=True, timeout=CHILD_TIMEOUT, check=False
                )
            except subprocess.TimeoutExpired as exc:
                raise PrinterUnavailable(f"lp did not finish in {CHILD_TIMEOUT} s") from exc
        stdout = done.stdout.decode(errors="replace")
        if done.returncode != 0:
            raise self._lp_error(done.stderr.decode(errors="replace").strip() or stdout.strip())
        return stdout

    def _lp_error(self, message: str) -> PrinterError:
        # LC_ALL=C keeps lp's messages in English; the pre-check in print_pdf has
        # already turned the usual failures into typed errors, these are the races.
        lowered = message.lower()
        if "does not exist" in lowered:
            return PrinterNotFound(f"printer {self.name!r} not found ({message})")
        if "not accepting" in lowered:
            return PrintRejected(f"printer {self.name!r} is not accepting jobs ({message})")
        if "unable to connect" in lowered or "scheduler is not running" in lowered:
            return PrinterUnavailable(f"cannot reach CUPS: {message}")
        return PrintRejected(f"lp refused the job: {message}")

    def _check(self, response: IppResponse, what: str) -> IppResponse:
        if response.ok:
            return response
        if response.status == "client-error-not-found":
            raise PrinterNotFound(f"{what} not found ({response.message})")
        if response.status == "server-error-not-accepting-jobs":
            raise PrintRejected(f"printer {self.name!r} is not accepting jobs")
        raise PrinterError(f"CUPS refused: {response.message or '-'} ({response.status})")

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    # -- the contract -------------------------------------------------------------------

    async def _printer_attrs(self) -> dict[str, Any]:
        (response,) = await self._run(self._ipptool, "printer")
        self._check(response, f"printer {self.name!r}")
        return response.groups[0] if response.groups else {}

    async def status(self) -> PrinterStatus:
        """`printer-state` and `printer-state-reasons` as a typed status."""
        attrs = await self._printer_attrs()
        state = enum_value(attrs.get("printer-state"), _PRINTER_STATES)
        if state is None:
            raise PrinterError(f"printer {self.name!r}: no valid printer-state in {attrs}")
        return status_from_ipp(
            self.name,
            state,
            _as_list(attrs.get("printer-state-reasons")),
            str(attrs.get("printer-state-message", "")),
            attrs.get("printer-is-accepting-jobs", True) is not False,
        )

    async def print_pdf(self, data: bytes, options: PrintOptions) -> JobId:
        """Check the queue, then `lp` the PDF with media, copies and title."""
        check_pdf(data)
        # Fail before uploading when the queue does not exist or refuses jobs.
        attrs = await self._printer_attrs()
        if attrs.get("printer-is-accepting-jobs") is False:
            raise PrintRejected(f"printer {self.name!r} is not accepting jobs")
        stdout = await self._run(self._lp, data, options)
        # "request id is QUEUE-12 (1 file(s))"; the queue name is matched, not the words.
        found = re.search(rf"(?<![\w-]){re.escape(self.name)}-(\d+)\b", stdout, re.IGNORECASE)
        if found:
            return JobId(self.name, int(found.group(1)))
        job = await self.find_job(options.title)
        if job is None:
            raise PrinterError(f"lp gave no job id and no job is titled {options.title!r}")
        return job

    async def job_state(self, job: JobId) -> JobState:
        """`job-state` and `job-state-reasons` of the job."""
        (response,) = await self._run(self._ipptool, "job", job.number)
        if response.status == "client-error-not-found":
            raise JobNotFound(f"job {job} not found")
        self._check(response, f"job {job}")
        attrs = response.groups[0] if response.groups else {}
        number = enum_value(attrs.get("job-state"), _JOB_STATES)
        if number is None or number not in set(JobPhase):
            raise PrinterError(f"job {job}: no valid job-state in {attrs}")
        phase = JobPhase(number)
        return JobState(
            job,
            phase,
            tuple(r for r in _as_list(attrs.get("job-state-reasons")) if r != "none"),
            str(attrs.get("job-printer-state-message", "")),
        )

    async def find_job(self, title: str) -> JobId | None:
        """The newest job on this queue named `title` (Get-Jobs, which-jobs=all)."""
        (response,) = await self._run(self._ipptool, "jobs")
        self._check(response, f"printer {self.name!r}")
        numbers = [
            number
            for group in response.groups
            if group.get("job-name") == title
            and (number := _job_number(group.get("job-id"))) is not None
        ]
        return JobId(self.name, max(numbers)) if numbers else None

    async def cancel(self, job: JobId) -> None:
        """Cancel the job; already finished jobs are left alone."""
        (response,) = await self._run(self._ipptool, "cancel", job.number)
        if response.status == "client-error-not-possible":
            return  # already completed, cancelled or aborted
        if response.status == "client-error-not-found":
            raise JobNotFound(f"job {job} not found")
        self._check(response, f"job {job}")

    async def resume(self) -> None:
        """Enable the queue and let it accept jobs again (CUPS retries the waiting job)."""
        for response in await self._run(self._ipptool, "resume"):
            self._check(response, f"printer {self.name!r}")

    async def close(self) -> None:
        """Stop the executor thread and remove the .test files."""
        if self._closed:
            return
        self._closed = True
        # Queued behind any child still running, so the files go once it is done.
        self._executor.submit(self._remove_files)
        self._executor.shutdown(wait=False)

    def _remove_files(self) -> None:
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
