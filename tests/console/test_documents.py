"""The officer's documents desk against a real hub and the kiosk's real desks.

The console side (`DocumentsDesk`) creates documents through the hub's API and
sends `print` / `form.sign`; the kiosk side is the real `PrintDesk` (on the
simulated printer, scripted to run out of paper) and `SignDesk`. Messages go
through the hub's websocket both ways.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from backoffice_console.documents import DocumentsDesk, DocumentsView, render_first_page
from backoffice_console.model import ConsoleError
from kiosk.devices.printer import PrinterState
from kiosk.devices.printer.simulated import SimulatedPrinter
from kiosk.printing import PrintDesk, PrinterSection
from kiosk.signing import SignDesk
from shared.protocol import DeviceCommand
from tests.kiosk.test_printing import in_call
from tests.support.hub_fixtures import WAIT, HubHarness, Peer
from tests.support.waiting import until

STROKE = [(0.1 + i * 0.02, 0.5 + 0.1 * ((i % 7) - 3) / 3) for i in range(30)]


@dataclass
class Rig:
    """Both sides of one call, with pumps carrying the hub's messages to the desks."""

    officer: Peer
    kiosk: Peer
    sid: str
    desk: DocumentsDesk
    printing: PrintDesk
    signing: SignDesk
    printer: SimulatedPrinter
    views: list[DocumentsView]
    session: list[str | None]


async def _pump(peer: Peer, handle: Callable[[Any], object]) -> None:
    while True:
        handle(await peer.inbox.get())


@pytest.fixture
async def rig(hub: HubHarness, tmp_path: Path) -> AsyncIterator[Rig]:
    officer, kiosk, sid = await in_call(hub)
    printer = SimulatedPrinter(tmp_path / "printed")
    printing = PrintDesk(
        PrinterSection(backend="simulated", poll_s=0.05),
        kiosk.client,
        lambda: None,
        tmp_path / "queue.sqlite3",
        printer_factory=lambda _config: printer,
    )
    signing = SignDesk(kiosk.client, lambda: None)
    views: list[DocumentsView] = []
    session: list[str | None] = [sid]
    desk = DocumentsDesk(lambda: officer.client, lambda: session[0], views.append)

    def to_kiosk(message: Any) -> None:
        if isinstance(message, DeviceCommand):
            target = printing if message.kind == "print" else signing
            target.handle_command(sid, message)

    pumps = [
        asyncio.ensure_future(_pump(officer, desk.handle)),
        asyncio.ensure_future(_pump(kiosk, to_kiosk)),
    ]
    try:
        yield Rig(officer, kiosk, sid, desk, printing, signing, printer, views, session)
    finally:
        for pump in pumps:
            pump.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)
        await desk.close()
        await printing.close()
        await signing.close()


async def test_receipt_prints_with_paper_out_shown_live_then_done(rig: Rig) -> None:
    rig.printer.set_condition(PrinterState.PAPER_OUT)
    item = await asyncio.wait_for(rig.desk.print_document("receipt"), WAIT)
    assert item.kind == "receipt" and item.stage == "sent"
    await until(lambda: rig.desk.view.items[0].stage == "paper_out")
    assert not list(rig.printer.folder.glob("*.pdf"))  # nothing printed while out of paper
    rig.printer.set_condition(None)  # the helper refills
    await rig.printer.resume()
    await until(lambda: rig.desk.view.items[0].stage == "done")
    stages = [v.items[0].stage for v in rig.views if v.items]
    assert "paper_out" in stages and stages[-1] == "done"
    assert rig.desk.printed == {"receipt": 1}
    printed = list(rig.printer.folder.glob("*.pdf"))
    assert len(printed) == 1 and printed[0].read_bytes().startswith(b"%PDF")
    # The printed receipt renders (the demo's receipt.png is made the same way).
    assert render_first_page(printed[0].read_bytes()).startswith(b"\x89PNG")


async def test_form_signed_at_the_kiosk_comes_back_as_a_rendered_page(rig: Rig) -> None:
    await asyncio.wait_for(rig.desk.request_signature(), WAIT)
    await until(lambda: rig.signing.request is not None)
    await until(lambda: rig.desk.view.items[0].stage == "signing")
    assert await rig.signing.submit([STROKE]) is True
    await until(lambda: rig.desk.view.items[0].signed_png is not None)
    item = rig.desk.view.items[0]
    assert item.stage == "signed" and item.kind == "form" and item.error_code is None
    assert item.signed_png is not None and item.signed_png.startswith(b"\x89PNG")
    assert rig.desk.signed == 1
    pdf = await asyncio.wait_for(rig.desk.signed_pdf(item.document_id), WAIT)
    assert pdf.startswith(b"%PDF")


async def test_cannot_sign_reason_reaches_the_officer(rig: Rig) -> None:
    await asyncio.wait_for(rig.desk.request_signature(), WAIT)
    await until(lambda: rig.signing.request is not None)
    assert await rig.signing.cannot_sign("右手骨折，无法书写") is True
    await until(lambda: rig.desk.view.items[0].unsigned_reason is not None)
    item = rig.desk.view.items[0]
    assert item.stage == "cannot_sign" and item.unsigned_reason == "右手骨折，无法书写"
    assert item.signed_png is None and rig.desk.signed == 0
    with pytest.raises(ConsoleError) as refused:  # there is no signed PDF to open
        await rig.desk.signed_pdf(item.document_id)
    assert refused.value.key == "documents.error.fetch"


async def test_a_name_no_font_has_is_refused_and_nothing_is_sent(
    hub: HubHarness,
) -> None:
    officer, kiosk, sid = await in_call(hub, name="测试\U0003134a")
    views: list[DocumentsView] = []
    desk = DocumentsDesk(lambda: officer.client, lambda: sid, views.append)
    with pytest.raises(ConsoleError) as refused:
        await asyncio.wait_for(desk.print_document("receipt"), WAIT)
    assert refused.value.key == "documents.error.glyph_missing"
    assert "U+3134A" in refused.value.detail
    assert desk.view.items == () and desk.view.busy is None
    assert desk.view.error_key == "documents.error.glyph_missing"
    await kiosk.quiet(0.3)  # the kiosk got no command


async def test_actions_outside_a_call_and_bad_kinds_are_refused(rig: Rig) -> None:
    with pytest.raises(ConsoleError) as refused:
        await rig.desk.print_document("form")  # type: ignore[arg-type]
    assert refused.value.key == "documents.error.bad_kind"
    rig.session[0] = None
    with pytest.raises(ConsoleError) as refused:
        await rig.desk.print_document("receipt")
    assert refused.value.key == "error.not_in_call"
    assert rig.desk.view.items == ()
