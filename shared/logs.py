"""Logging set-up shared by every process, with personal data kept out of logs.

A redacting filter sits on every handler: anything that looks like a resident
ID number (18 characters, the last a digit or X, or the 2017 foreigner format)
is masked before a record is written, whatever code logged it. Code should
never log personal data in the first place; this is the net under that rule.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import logging.handlers
import os
import re
import sys
from pathlib import Path

from shared.private_files import open_private

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


FILE_MAX_BYTES = 10_000_000
FILE_BACKUPS = 20
"""Rotating file logs: 20 files of 10 MB after the live one (about 200 MB per process)."""

# journald reads a "<N>" prefix on a stream line as the record's syslog priority.
_SYSLOG_PRIORITY = {"CRITICAL": 2, "ERROR": 3, "WARNING": 4, "INFO": 6, "DEBUG": 7}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: time, level, logger, message (redacted)."""

    def __init__(self, process: str) -> None:
        super().__init__()
        self._process = process

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "process": self._process,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class JournalFormatter(logging.Formatter):
    """For a stream journald captures: its priority prefix, no timestamp (journald adds it)."""

    def __init__(self) -> None:
        super().__init__("%(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        prefix = f"<{_SYSLOG_PRIORITY.get(record.levelname, 6)}>"
        return prefix + text.replace("\n", "\n" + prefix)


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file created 0640 whatever the umask (logs are operational data)."""

    def _open(self) -> io.TextIOWrapper:
        fd = open_private(Path(self.baseFilename), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        return open(fd, "a", encoding=self.encoding or "utf-8")


class PrivateDailyFileHandler(logging.handlers.TimedRotatingFileHandler):
    """A log file rotated at midnight (UTC) and kept `days` days, created 0640."""

    def __init__(self, path: Path, days: int) -> None:
        super().__init__(path, when="midnight", backupCount=days, encoding="utf-8", utc=True)

    def _open(self) -> io.TextIOWrapper:
        fd = open_private(Path(self.baseFilename), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        return open(fd, "a", encoding=self.encoding or "utf-8")


def _formatter(process: str, fmt: str, stream: bool) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter(process)
    if fmt == "auto" and stream and os.environ.get("JOURNAL_STREAM"):
        return JournalFormatter()
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


def setup_logging(
    process: str, log_dir: Path | None = None, level: str = "INFO", fmt: str = "auto"
) -> None:
    """Log to stderr and, when `log_dir` is given, to a rotating file `<process>.log`.

    `fmt` "json" writes one JSON object per line everywhere; "auto" writes text, with
    plain messages (no timestamp, a journald priority prefix) on stderr when it is
    journald's stream (`JOURNAL_STREAM` set, as systemd sets it); "text" always text.
    Uncaught exceptions are logged too, so a crash leaves a trace in the file.
    """
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    handlers[0].setFormatter(_formatter(process, fmt, stream=True))
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        file_handler = PrivateRotatingFileHandler(
            log_dir / f"{process}.log",
            maxBytes=FILE_MAX_BYTES,
            backupCount=FILE_BACKUPS,
            encoding="utf-8",
        )
        file_handler.setFormatter(_formatter(process, fmt, stream=False))
        handlers.append(file_handler)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    for handler in handlers:
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    root.setLevel(level)
    # aioice and aiortc log every STUN packet at INFO.
    for noisy in ("aioice", "aiortc", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    def _excepthook(exc_type: type[BaseException], exc: BaseException, tb: object) -> None:
        logging.getLogger(process).critical("uncaught exception", exc_info=(exc_type, exc, tb))  # type: ignore[arg-type]

    sys.excepthook = _excepthook


def add_security_log(
    process: str, log_dir: Path, days: int, loggers: tuple[str, ...], fmt: str = "auto"
) -> Path:
    """Also write the records of `loggers` to `<process>-security.log`, kept `days` days.

    The security log (who logged in, failed, enrolled; every audited access) is rotated
    daily and kept apart from the operational log, so its retention (at least 180 days,
    the Cybersecurity Law's six months) does not depend on how chatty the rest is.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / f"{process}-security.log"
    handler = PrivateDailyFileHandler(path, days)
    handler.setFormatter(_formatter(process, fmt, stream=False))
    handler.addFilter(RedactingFilter())
    for name in loggers:
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO)
    return path
