"""Remote print end to end: the hub renders, the kiosk fetches and prints through a real cupsd.

With test_signing.py, this is also the test of the hub's documents domain, driven by the
kiosk's real desks.
"""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from kiosk.devices.printer import CupsPrinter
from kiosk.printing import PrintDesk, PrinterSection
from shared.hubclient import HubRequestError
from shared.protocol import DeviceCommand, IdentityReport, QueueJoin, TicketTake
from tests.support.hub_fixtures import WAIT, HubHarness, Peer
from tests.support.identity_samples import VALID_NUMBER, record

if TYPE_CHECKING:
    from tests.support.cups_fixtures import CupsServer


async def in_call(hub: HubHarness, name: str = "测试居民甲") -> tuple[Peer, Peer, str]:
    """An officer and a kiosk in a session whose identity was read."""
    officer = await hub.officer("o1")
    kiosk = await hub.kiosk("K")
    await asyncio.wait_for(kiosk.client.request(QueueJoin()), WAIT)
    ticket = (await kiosk.next("queue.status")).ticket_id
    await asyncio.wait_for(officer.client.request(TicketTake(ticket_id=ticket)), WAIT)
    sid = (await kiosk.next("session.started")).session_id
    await officer.skip_to("session.started")
    report = IdentityReport(session_id=sid, record=record(name=name).to_dict())
    await asyncio.wait_for(kiosk.client.request(report), WAIT)
    await officer.skip_to("identity.update")
    return officer, kiosk, sid


async def create(officer: Peer, sid: str, kind: str = "receipt") -> dict[str, Any]:
    path = f"/api/v1/sessions/{sid}/documents"
    return dict(await asyncio.wait_for(officer.client.post_json(path, {"kind": kind}), WAIT))


async def print_command(officer: Peer, kiosk: Peer, sid: str, cid: str, **params: Any) -> Any:
    message = DeviceCommand(session_id=sid, command_id=cid, kind="print", params=params)
    await asyncio.wait_for(officer.client.request(message), WAIT)
    return await kiosk.skip_to("device.command")


async def stages(officer: Peer, until: set[str], timeout: float = 30) -> list[str]:
    """Progress stages (and failure codes as `failed:<code>`) until one in `until`."""
    seen: list[str] = []
    async with asyncio.timeout(timeout):
        while True:
            message = await officer.inbox.get()
            if message.type == "device.progress":
                seen.append(message.stage)
            elif message.type == "device.failed":
                seen.append(f"failed:{message.code.value}")
            else:
                continue
            if seen[-1] in until:
                return seen


def _pdftotext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True, timeout=30
    ).stdout


async def test_receipt_is_rendered_from_the_session_and_fetched_by_its_kiosk(
    hub: HubHarness, tmp_path: Path
) -> None:
    officer, kiosk, sid = await in_call(hub)
    doc = await create(officer, sid)
    assert doc["kind"] == "receipt" and doc["status"] == "issued" and len(doc["sha256"]) == 64
    pdf = await asyncio.wait_for(
        kiosk.client.get_bytes(f"/api/v1/documents/{doc['document_id']}.pdf"), WAIT
    )
    assert hashlib.sha256(pdf).hexdigest() == doc["sha256"]
    (tmp_path / "r.pdf").write_bytes(pdf)
    text = _pdftotext(tmp_path / "r.pdf")
    assert "测试居民甲" in text and "受理回执" in text
    masked = VALID_NUMBER[:6] + "********" + VALID_NUMBER[-4:]
    assert masked in text and VALID_NUMBER not in text
    # Another kiosk (not in this session) may not fetch it; the audit has create and fetch.
    other = await hub.kiosk("K2")
    with pytest.raises(HubRequestError) as refused:
        await other.client.get_bytes(f"/api/v1/documents/{doc['document_id']}.pdf")
    assert refused.value.code == "not_in_session"
    actions = [e["action"] for e in await hub.hub.core.audit.entries(sid)]
    assert "document.create" in actions and "document.fetch" in actions


async def test_glyph_no_font_has_is_a_422_naming_it(hub: HubHarness) -> None:
    officer, _, sid = await in_call(hub, name="测试\U0003134a")  # CJK Ext-G: no font has it
    with pytest.raises(HubRequestError) as refused:
        await create(officer, sid)
    assert refused.value.code == "glyph_missing" and "U+3134A" in str(refused.value)


async def test_print_reports_paper_out_live_then_done_after_refill_once(
    hub: HubHarness, cups_server: CupsServer, tmp_path: Path
) -> None:
    officer, kiosk, sid = await in_call(hub)
    doc = await create(officer, sid)
    config = PrinterSection(backend="cups", name="SCRIPTED", server=cups_server.server, poll_s=0.2)
    await CupsPrinter("SCRIPTED", cups_server.server).resume()
    changes: list[str | None] = []
    desk = PrintDesk(config, kiosk.client, lambda: changes.append(desk.stage), tmp_path / "q.db")
    cups_server.set_condition("media-empty")
    try:
        command = await print_command(officer, kiosk, sid, "p1", document_id=doc["document_id"])
        desk.handle_command(sid, command)
        seen = await stages(officer, {"paper_out", "done"})
        assert seen[-1] == "paper_out" and "failed:print_failed" not in seen
        assert desk.stage == "paper_out"  # what the touch screen shows the helper
        # The officer presses print again while the job waits: nothing new is queued.
        again = await print_command(officer, kiosk, sid, "p2", document_id=doc["document_id"])
        desk.handle_command(sid, again)
        cups_server.set_condition("ok")
        await CupsPrinter("SCRIPTED", cups_server.server).resume()
        seen = await stages(officer, {"done"})
        assert seen[-1] == "done"
        await stages(officer, {"done"})  # the second command sees the same job finish
        titles = [title for _, title in cups_server.printed()]
        assert titles.count(f"rvw-{doc['document_id']}") == 1
        # A third command after completion prints nothing and says done.
        third = await print_command(officer, kiosk, sid, "p3", document_id=doc["document_id"])
        desk.handle_command(sid, third)
        assert (await stages(officer, {"done"}))[-1] == "done"
        assert [t for _, t in cups_server.printed()].count(f"rvw-{doc['document_id']}") == 1
    finally:
        cups_server.set_condition("ok")
        await desk.close()


async def test_document_the_kiosk_cannot_fetch_fails_clearly(
    hub: HubHarness, cups_server: CupsServer, tmp_path: Path
) -> None:
    officer, kiosk, sid = await in_call(hub)
    config = PrinterSection(backend="cups", name="PDF", server=cups_server.server)
    desk = PrintDesk(config, kiosk.client, lambda: None, tmp_path / "q.db")
    try:
        command = await print_command(officer, kiosk, sid, "p1", document_id="0" * 32)
        desk.handle_command(sid, command)
        failed = await officer.skip_to("device.failed")
        assert failed.code.value == "fetch_failed" and failed.reason == "not_found"
        assert desk.error == "fetch_failed"
        command = await print_command(officer, kiosk, sid, "p2", document_id="../etc/passwd")
        desk.handle_command(sid, command)
        failed = await officer.skip_to("device.failed")
        assert failed.code.value == "fetch_failed" and failed.reason == "bad_id"
        assert not (tmp_path / "q.db").exists()  # nothing was queued
    finally:
        await desk.close()


async def test_printer_that_does_not_exist_fails_and_keeps_the_job(
    hub: HubHarness, cups_server: CupsServer, tmp_path: Path
) -> None:
    officer, kiosk, sid = await in_call(hub)
    doc = await create(officer, sid)
    config = PrinterSection(backend="cups", name="NO_SUCH_QUEUE", server=cups_server.server)
    desk = PrintDesk(config, kiosk.client, lambda: None, tmp_path / "q.db")
    try:
        command = await print_command(officer, kiosk, sid, "p1", document_id=doc["document_id"])
        desk.handle_command(sid, command)
        failed = await officer.skip_to("device.failed", timeout=15)
        assert failed.code.value == "no_printer"
        entry = desk.queue().get(doc["document_id"])
        assert entry is not None and entry.state.value == "queued"  # kept for when it is fixed
    finally:
        await desk.close()


async def test_simulated_printer_writes_the_pdf_once(hub: HubHarness, tmp_path: Path) -> None:
    officer, kiosk, sid = await in_call(hub)
    doc = await create(officer, sid, "slip")
    config = PrinterSection(backend="simulated", folder=tmp_path / "out", poll_s=0.05)
    desk = PrintDesk(config, kiosk.client, lambda: None, tmp_path / "q.db")
    try:
        for cid in ("p1", "p2"):
            command = await print_command(officer, kiosk, sid, cid, document_id=doc["document_id"])
            desk.handle_command(sid, command)
            assert (await stages(officer, {"done"}))[-1] == "done"
        files = list((tmp_path / "out").glob("*.pdf"))
        assert len(files) == 1
        assert hashlib.sha256(files[0].read_bytes()).hexdigest() == doc["sha256"]
    finally:
        await desk.close()
