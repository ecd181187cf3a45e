"""Logging set-up shared by every process, with personal data kept out of logs.

A redacting filter sits on every handler: anything that looks like a resident
ID number (18 characters, the last a digit or X, or the 2017 foreigner format)
is masked before a record is written, whatever code logged it. Code should
never log personal data in the first place; this is the net under that rule.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from pathlib import Path

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_FOREIGNER_2017 = re.compile(r"(?<![0-9A-Za-z])([A-Z]{3})\d{12}(?![0-9A-Za-z])")


def redact(text: str) -> str:
    """Mask ID numbers in free text (first 6 and last 4 characters stay)."""
    text = _ID_NUMBER.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    return _FOREIGNER_2017.sub(lambda m: f"{m.group(1)}************", text)


_TRACEBACKS = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Rewrites each record's message, traceback and stack with `redact` before it is emitted.

    An exception's text (`ValueError(f"bad number {n}")`) is in the traceback, not the
    message: the traceback is formatted here, redacted and left in `exc_text`, which
    every `logging.Formatter` then prints instead of formatting it again.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def setup_logging(process: str, log_dir: Path | None = None, level: str = "INFO") -> None:
    """Log to stderr and, when `log_dir` is given, to a rotating file `<process>.log`.

    Uncaught exceptions are logged too, so a crash leaves a trace in the file.
    """
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                log_dir / f"{process}.log", maxBytes=5_000_000, backupCount=5, encoding="utf-8"
            )
        )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    for handler in handlers:
        handler.setFormatter(fmt)
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    root.setLevel(level)
    # aioice and aiortc log every STUN packet at INFO.
    for noisy in ("aioice", "aiortc", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    def _excepthook(exc_type: type[BaseException], exc: BaseException, tb: object) -> None:
        logging.getLogger(process).critical("uncaught exception", exc_info=(exc_type, exc, tb))  # type: ignore[arg-type]

    sys.excepthook = _excepthook
