"""Stores pages or print jobs until killed, printing `ACK <key>` as each is accepted.

The power-loss test runs it on a lossyfs mount and cuts the power under it:
`outbox` adds pages to a real outbox (ACK: the page's SHA-256); `print` submits
documents to a real print queue in front of a simulated printer (ACK: the job key).

    python -m tests.kiosk.durable_writer outbox|print DIR
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
from pathlib import Path

from kiosk.devices.printer import PrintOptions, SimulatedPrinter
from kiosk.devices.printer.queue import PrintQueue
from kiosk.materials import Outbox


def page_bytes(index: int) -> bytes:
    """A page's stand-in JPEG: distinct, and large enough to span several writes."""
    seed = hashlib.sha256(str(index).encode()).digest()
    return b"\xff\xd8" + seed * (3000 + index % 7 * 100) + b"\xff\xd9"


def pdf_bytes(index: int) -> bytes:
    """A stand-in receipt that passes the queue's whole-PDF check."""
    return b"%PDF-1.7\n" + page_bytes(index) + b"\n%%EOF\n"


async def _pages(directory: Path) -> None:
    outbox = Outbox(directory)
    await outbox.open()
    index = 0
    while True:
        page = await outbox.add("S-power", None, page_bytes(index))
        print(f"ACK {page.sha256}", flush=True)
        index += 1


def _print_jobs(directory: Path) -> None:
    queue = PrintQueue(directory / "print-queue.sqlite3", SimulatedPrinter(directory / "printed"))
    index = 0
    while True:
        entry = queue.submit(f"receipt-{index}", pdf_bytes(index), PrintOptions(title=f"r{index}"))
        print(f"ACK {entry.key}", flush=True)
        index += 1


if __name__ == "__main__":
    mode, folder = sys.argv[1], Path(sys.argv[2])
    if mode == "outbox":
        asyncio.run(_pages(folder))
    else:
        _print_jobs(folder)
