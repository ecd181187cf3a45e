"""The printer contract: print a PDF, follow the job, report the printer's state.

States come from IPP attributes (`printer-state`, `printer-state-reasons`,
`job-state`), never from parsing `lpstat`, whose text is translated. Every backend
(CUPS through pycups, the `lp`/`ipptool` fallback, the simulated printer) returns
these same types and raises these same errors.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from pydantic import BaseModel, ConfigDict, Field

PDF_MAGIC = b"%PDF-"


class PrinterError(Exception):
    """Base class of every printer error."""


class PrinterNotFound(PrinterError):
    """The named printer (queue) does not exist."""


class PrinterUnavailable(PrinterError):
    """The print system cannot be reached (cupsd down, socket missing)."""


class InvalidDocument(PrinterError):
    """The data is not a PDF; nothing was sent to the printer."""


class JobNotFound(PrinterError):
    """The print system does not know this job."""


class PrintRejected(PrinterError):
    """The print system refused the job (queue not accepting, bad options)."""


def check_pdf(data: bytes) -> None:
    """Raise `InvalidDocument` unless `data` looks like a whole PDF (header and end marker)."""
    if not data.startswith(PDF_MAGIC):
        raise InvalidDocument("not a PDF: data does not start with %PDF-")
    if b"%%EOF" not in data[-1024:]:
        raise InvalidDocument("not a whole PDF: no %%EOF marker at the end (truncated?)")


class Media(StrEnum):
    """Paper sizes the kiosk prints, named as IPP `media` keywords CUPS accepts."""

    A4 = "A4"
    A5 = "A5"


class PrintOptions(BaseModel):
    """Per-job options: paper, copies, and the job title shown in the queue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    media: Media = Media.A4
    copies: int = Field(default=1, ge=1, le=20)
    title: str = Field(default="document", min_length=1, max_length=120)


@dataclass(frozen=True)
class JobId:
    """A job in one printer's queue."""

    printer: str
    number: int

    def __str__(self) -> str:
        return f"{self.printer}-{self.number}"


class JobPhase(IntEnum):
    """IPP `job-state` values."""

    PENDING = 3
    HELD = 4
    PROCESSING = 5
    STOPPED = 6
    CANCELLED = 7
    ABORTED = 8
    COMPLETED = 9


@dataclass(frozen=True)
class JobState:
    """A job's state with its IPP reasons (e.g. `printer-stopped`, `job-canceled-by-user`)."""

    job: JobId
    phase: JobPhase
    reasons: tuple[str, ...] = ()
    message: str = ""

    @property
    def finished(self) -> bool:
        """True when the job will not change any more (completed, cancelled or aborted)."""
        return self.phase >= JobPhase.CANCELLED


class PrinterState(StrEnum):
    """What the kiosk shows about its printer, worst condition first."""

    IDLE = "idle"
    PRINTING = "printing"
    PAPER_OUT = "paper_out"
    JAM = "jam"
    OFFLINE = "offline"
    COVER_OPEN = "cover_open"
    TONER_LOW = "toner_low"
    STOPPED = "stopped"


# IPP reason keyword (without -error/-warning/-report) -> the condition it means.
REASON_CONDITIONS: dict[str, PrinterState] = {
    "media-empty": PrinterState.PAPER_OUT,
    "media-needed": PrinterState.PAPER_OUT,
    "input-tray-missing": PrinterState.PAPER_OUT,
    "media-jam": PrinterState.JAM,
    "offline": PrinterState.OFFLINE,
    "connecting-to-device": PrinterState.OFFLINE,
    "shutdown": PrinterState.OFFLINE,
    "cover-open": PrinterState.COVER_OPEN,
    "door-open": PrinterState.COVER_OPEN,
    "interlock-open": PrinterState.COVER_OPEN,
    "toner-low": PrinterState.TONER_LOW,
    "toner-empty": PrinterState.TONER_LOW,
    "marker-supply-low": PrinterState.TONER_LOW,
    "marker-supply-empty": PrinterState.TONER_LOW,
}
_PROBLEMS = (
    PrinterState.OFFLINE,
    PrinterState.PAPER_OUT,
    PrinterState.JAM,
    PrinterState.COVER_OPEN,
)


def reason_keyword(reason: str) -> str:
    """`media-empty-error` -> `media-empty` (IPP severity suffixes dropped)."""
    for suffix in ("-error", "-warning", "-report"):
        if reason.endswith(suffix):
            return reason[: -len(suffix)]
    return reason


@dataclass(frozen=True)
class PrinterStatus:
    """The printer's summary `state`, every condition seen, and the raw IPP facts behind them."""

    printer: str
    state: PrinterState
    conditions: frozenset[PrinterState] = field(default_factory=frozenset)
    reasons: tuple[str, ...] = ()
    message: str = ""
    accepting: bool = True

    @property
    def needs_attention(self) -> bool:
        """True when a person must act (paper, jam, cover, cable, or a stopped queue)."""
        return self.state in (*_PROBLEMS, PrinterState.STOPPED)


def status_from_ipp(
    printer: str,
    ipp_state: int,
    reasons: list[str] | tuple[str, ...],
    message: str = "",
    accepting: bool = True,
) -> PrinterStatus:
    """Build a `PrinterStatus` from `printer-state` (3/4/5) and `printer-state-reasons`."""
    clean = tuple(r for r in reasons if r and r != "none")
    conditions = frozenset(
        REASON_CONDITIONS[key] for r in clean if (key := reason_keyword(r)) in REASON_CONDITIONS
    )
    # Worst first: a person must fix these before anything prints.
    state = next((c for c in _PROBLEMS if c in conditions), None)
    if state is None:
        if ipp_state == 5 or "paused" in clean:
            state = PrinterState.STOPPED
        elif ipp_state == 4:
            state = PrinterState.PRINTING
        elif PrinterState.TONER_LOW in conditions:
            state = PrinterState.TONER_LOW
        else:
            state = PrinterState.IDLE
    return PrinterStatus(printer, state, conditions, clean, message, accepting)


class Printer(abc.ABC):
    """One printer the kiosk prints on. All methods are async; none blocks the event loop."""

    name: str

    @abc.abstractmethod
    async def print_pdf(self, data: bytes, options: PrintOptions) -> JobId:
        """Queue `data` (a PDF) for printing; `InvalidDocument` if it is not one."""

    @abc.abstractmethod
    async def job_state(self, job: JobId) -> JobState:
        """The job's current state; `JobNotFound` if the print system does not know it."""

    @abc.abstractmethod
    async def status(self) -> PrinterStatus:
        """The printer's current state and conditions."""

    @abc.abstractmethod
    async def find_job(self, title: str) -> JobId | None:
        """The newest job with exactly this title, finished or not (for crash recovery)."""

    @abc.abstractmethod
    async def cancel(self, job: JobId) -> None:
        """Cancel a job that has not finished; a finished job is left as it is."""

    @abc.abstractmethod
    async def resume(self) -> None:
        """Start a stopped printer again (after paper was refilled or a jam cleared)."""

    async def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release what the backend holds (executors, connections)."""
