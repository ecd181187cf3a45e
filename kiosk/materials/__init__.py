"""Materials at the kiosk: capture pages, keep them in a durable outbox, deliver them.

- `Outbox`: SQLite (WAL, synchronous=FULL) plus fsynced JPEG files; a page is
  durable before it is shown as captured.
- `Uploader`: drains the outbox into the hub with the page's SHA-256 as
  idempotency key, retrying with backoff.
- `CaptureDesk`: the `page.capture` command and the capture page's logic.
"""

from kiosk.materials.capture import CaptureDesk, CaptureState, make_page
from kiosk.materials.outbox import PENDING, REFUSED, SENT, Outbox, OutboxError, OutboxPage
from kiosk.materials.uploader import Uploader

__all__ = [
    "PENDING",
    "REFUSED",
    "SENT",
    "CaptureDesk",
    "CaptureState",
    "Outbox",
    "OutboxError",
    "OutboxPage",
    "Uploader",
    "make_page",
]
