"""A simulated printer for the demo: a real implementation that "prints" PDFs into a folder.

Its condition is scriptable (`set_condition`): paper out, jam or cover open stop it
and jobs wait, as on a real printer; `resume()` starts it again once the condition
is cleared. Jobs complete as soon as the printer can take them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kiosk.devices.printer.contract import (
    JobId,
    JobNotFound,
    JobPhase,
    JobState,
    Printer,
    PrinterState,
    PrinterStatus,
    PrintOptions,
    check_pdf,
    status_from_ipp,
)

_STOPPING = (PrinterState.PAPER_OUT, PrinterState.JAM, PrinterState.COVER_OPEN)
_REASONS = {
    PrinterState.PAPER_OUT: "media-empty-error",
    PrinterState.JAM: "media-jam-error",
    PrinterState.COVER_OPEN: "cover-open-error",
    PrinterState.OFFLINE: "offline-report",
    PrinterState.TONER_LOW: "toner-low-warning",
}


@dataclass
class _Job:
    id: JobId
    title: str
    data: bytes
    options: PrintOptions
    phase: JobPhase = JobPhase.PENDING
    path: Path | None = None


class SimulatedPrinter(Printer):
    """Writes each job to `folder/<job number>-<title>.pdf` (once per copy count, one file)."""

    def __init__(self, folder: Path, name: str = "simulated") -> None:
        self.name = name
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._jobs: dict[int, _Job] = {}
        self._next = 1
        self._condition: PrinterState | None = None
        self._stopped = False

    def set_condition(self, condition: PrinterState | None) -> None:
        """Script the hardware: PAPER_OUT, JAM, COVER_OPEN, OFFLINE, TONER_LOW or None (fine)."""
        self._condition = condition
        self._advance()

    def _advance(self) -> None:
        for job in self._jobs.values():
            if job.phase is not JobPhase.PENDING:
                continue
            if self._stopped or self._condition is PrinterState.OFFLINE:
                return
            if self._condition in _STOPPING:
                self._stopped = True  # like a backend exiting 4: the queue stops
                return
            safe = re.sub(r"[^\w.-]+", "_", job.title)[:60]
            job.path = self.folder / f"{job.id.number:05d}-{safe}.pdf"
            job.path.write_bytes(job.data)
            job.phase = JobPhase.COMPLETED

    async def print_pdf(self, data: bytes, options: PrintOptions) -> JobId:
        """Queue the PDF; it is written at once unless the printer is stopped or offline."""
        check_pdf(data)
        job = _Job(JobId(self.name, self._next), options.title, data, options)
        self._next += 1
        self._jobs[job.id.number] = job
        self._advance()
        return job.id

    async def job_state(self, job: JobId) -> JobState:
        """The simulated job's phase."""
        found = self._jobs.get(job.number)
        if found is None or job.printer != self.name:
            raise JobNotFound(f"job {job} not found")
        reasons = ("printer-stopped",) if found.phase is JobPhase.PENDING and self._stopped else ()
        return JobState(job, found.phase, reasons)

    async def status(self) -> PrinterStatus:
        """State as IPP would report it for the scripted condition."""
        self._advance()
        reasons = [_REASONS[self._condition]] if self._condition in _REASONS else []
        busy = any(j.phase is JobPhase.PENDING for j in self._jobs.values())
        ipp_state = 5 if self._stopped else (4 if busy else 3)
        return status_from_ipp(self.name, ipp_state, reasons)

    async def find_job(self, title: str) -> JobId | None:
        """Newest job with this title."""
        matches = [j.id for j in self._jobs.values() if j.title == title]
        return matches[-1] if matches else None

    async def cancel(self, job: JobId) -> None:
        """Cancel a job that has not been written yet."""
        found = self._jobs.get(job.number)
        if found is None:
            raise JobNotFound(f"job {job} not found")
        if found.phase is JobPhase.PENDING:
            found.phase = JobPhase.CANCELLED

    async def resume(self) -> None:
        """Start again; jobs print if the condition was cleared, else it stops again."""
        self._stopped = False
        self._advance()
