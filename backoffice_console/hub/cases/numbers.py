"""Case numbers and the progress look-up's digest: pure functions, no I/O."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac


def case_number_for(session_id: str, started_at: dt.datetime) -> str:
    """A stable case number for a session (date + digest), until cases have their own."""
    digest = hashlib.sha256(session_id.encode()).hexdigest()[:6].upper()
    return f"SL{started_at.astimezone():%Y%m%d}-{digest}"


def last4_digest(key: bytes, case_no: str, last4: str) -> str:
    """HMAC-SHA256 of the case number and the ID number's last four characters."""
    message = f"{case_no}\x00{last4.upper()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
