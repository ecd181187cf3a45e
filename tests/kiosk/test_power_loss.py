"""The kiosk's promises under a real power cut: an accepted page or print job is never lost.

A SIGKILL cannot test this (the kernel keeps what a killed process wrote), so the
outbox and the print queue run on `lossyfs`, which keeps only what was fsynced
when the power goes. The write-order test checks the outbox's promise step by
step: file written and synced, renamed, folder synced, row committed, and only
then "accepted".
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.devices.printer import SimulatedPrinter
from kiosk.devices.printer.queue import PrintQueue
from kiosk.materials import Outbox
from shared import durable
from tests.kiosk.durable_writer import page_bytes, pdf_bytes
from tests.support.power_loss import LossyMount

REPO = Path(__file__).resolve().parents[2]


def _write_until(mode: str, folder: Path, disk: LossyMount, acks_before_cut: int) -> list[str]:
    """Runs the writer, cuts the power while it writes; returns the keys it accepted."""
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.kiosk.durable_writer", mode, str(folder)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert writer.stdout is not None
    acked: list[str] = []
    for line in writer.stdout:
        acked.append(line.split()[1])
        if len(acked) == acks_before_cut:
            break
    # The writer is still adding pages when the power goes; whatever it prints after
    # this line was accepted before the cut (every later write fails with EIO).
    disk.power_cut()
    writer.send_signal(signal.SIGKILL)
    rest, _ = writer.communicate(timeout=30)
    acked += [line.split()[1] for line in rest.splitlines() if line.startswith("ACK ")]
    return acked


async def _check_survivors(folder: Path, acked: list[str]) -> None:
    outbox = Outbox(folder)
    await outbox.open()
    try:
        pages = await outbox.pages()
        shas = [page.sha256 for page in pages]
        assert len(shas) == len(set(shas)), "a page is in the outbox twice"
        missing = set(acked) - set(shas)
        assert not missing, f"{len(missing)} accepted page(s) lost at the power cut"
        for page in pages:  # every row, acknowledged or not, has its whole file
            assert outbox.path_of(page.sha256).exists(), "a row has no file"
            data = await outbox.read(page)
            assert hashlib.sha256(data).hexdigest() == page.sha256, "a page's file is torn"
    finally:
        await outbox.close()


async def test_accepted_pages_survive_power_cuts(tmp_path: Path) -> None:
    acked: list[str] = []
    seed: Path | None = None
    for round_no, cut_after in enumerate((6, 11)):  # boot again from what survived, twice
        with LossyMount(tmp_path / f"boot{round_no}", seed=seed) as disk:
            acked += _write_until("outbox", disk.path / "kiosk" / "outbox", disk, cut_after)
            seed = disk.dump
        await _check_survivors(seed / "kiosk" / "outbox", acked)
    assert len(acked) >= 17


def test_accepted_print_jobs_survive_power_cuts(tmp_path: Path) -> None:
    acked: list[str] = []
    seed: Path | None = None
    for round_no, cut_after in enumerate((5, 9)):
        with LossyMount(tmp_path / f"boot{round_no}", seed=seed) as disk:
            acked += _write_until("print", disk.path / "kiosk", disk, cut_after)
            seed = disk.dump
        queue = PrintQueue(
            seed / "kiosk" / "print-queue.sqlite3", SimulatedPrinter(tmp_path / "out")
        )
        try:
            missing = [key for key in acked if queue.get(key) is None]
            assert not missing, f"{len(missing)} accepted print job(s) lost at the power cut"
            assert set(acked) <= set(queue.open_keys())
        finally:
            queue.close()
        with sqlite3.connect(seed / "kiosk" / "print-queue.sqlite3") as db:
            for key, pdf in db.execute("SELECT key, pdf FROM print_jobs"):
                assert pdf == pdf_bytes(int(key.rsplit("-", 1)[1])), "a queued document is torn"
    assert len(acked) >= 14


async def test_each_page_is_synced_before_the_row_and_the_row_before_acceptance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = Outbox(tmp_path / "outbox")
    await outbox.open()
    events: list[str] = []
    names: dict[int, str] = {}
    real = os.open, os.fsync, os.replace

    def open_(path: os.PathLike[str] | str, flags: int, mode: int = 0o777) -> int:
        fd = real[0](path, flags, mode)
        names[fd] = "dir" if flags & os.O_DIRECTORY else Path(path).name.split(".", 1)[1]
        return fd

    def fsync(fd: int) -> None:
        real[1](fd)
        events.append(f"fsync {names[fd]}")

    def replace(src: os.PathLike[str] | str, dst: os.PathLike[str] | str) -> None:
        real[2](src, dst)
        events.append("rename")

    monkeypatch.setattr(durable.os, "open", open_)
    monkeypatch.setattr(durable.os, "fsync", fsync)
    monkeypatch.setattr(durable.os, "replace", replace)
    conn = outbox._conn()

    def trace(statement: str) -> None:
        if statement.startswith("INSERT"):
            events.append("row")

    def pragma(name: str) -> object:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]

    # The connection belongs to the outbox's worker thread: talk to it there.
    await outbox._call(conn.set_trace_callback, trace)
    try:
        await outbox.add("S1", None, page_bytes(1))
        events.append("accepted")
        # Autocommit with synchronous=FULL in WAL mode: the row's commit is fsynced
        # before the INSERT statement returns.
        assert await outbox._call(pragma, "synchronous") == 2
        assert await outbox._call(pragma, "journal_mode") == "wal"
        assert await outbox._call(lambda: conn.in_transaction) is False
    finally:
        await outbox._call(conn.set_trace_callback, None)
        await outbox.close()
    assert events == ["fsync jpg.tmp", "rename", "fsync dir", "row", "accepted"]
