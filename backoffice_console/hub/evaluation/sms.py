"""Text messages to residents: an abstract gateway and the default file sink.

A real operator's gateway implements `SmsGateway.send`. The file sink appends one
JSON line per message (the outbox a test or an operator's batch job reads). The
phone number is personal data: it goes to the gateway and nowhere else, never to
a log.
"""

from __future__ import annotations

import abc
import asyncio
import json
import logging
import os
from pathlib import Path

from backoffice_console.hub.db import utcnow

log = logging.getLogger(__name__)


class SmsError(Exception):
    """A message could not be handed to the gateway."""


class SmsGateway(abc.ABC):
    """Sends one text message; raises `SmsError` on failure."""

    @abc.abstractmethod
    async def send(self, phone: str, text: str, reference: str) -> None:
        """Send `text` to `phone`; `reference` (no personal data) identifies it in logs."""


class FileSmsGateway(SmsGateway):
    """Appends `{"at", "to", "text", "reference"}` JSON lines to a file (mode 600)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as out:
            out.write(line + "\n")

    async def send(self, phone: str, text: str, reference: str) -> None:
        """Append the message; `SmsError` when the file cannot be written."""
        line = json.dumps(
            {"at": utcnow().isoformat(), "to": phone, "text": text, "reference": reference},
            ensure_ascii=False,
        )
        async with self._lock:
            try:
                await asyncio.to_thread(self._append, line)
            except OSError as exc:
                raise SmsError(f"outbox not writable: {exc.strerror}") from None
        log.info("sms %s queued in the file outbox", reference)
