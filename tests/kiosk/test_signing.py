"""Signatures end to end through a real hub: form on the pad, strokes to a signed PDF.

With test_printing.py, this is also the test of the hub's documents domain, driven by the
kiosk's real SignDesk.
"""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from backoffice_console.hub.documents.models import StoredDocument
from kiosk.signing import SignDesk, thin
from shared.hubclient import HubRequestError
from shared.protocol import DeviceCommand
from tests.kiosk.test_printing import create, in_call
from tests.support.hub_fixtures import WAIT, HubHarness, Peer
from tests.support.waiting import until

STROKE = [(0.1 + i * 0.02, 0.5 + 0.3 * np.sin(i / 4)) for i in range(40)]


async def sign_command(officer: Peer, kiosk: Peer, sid: str, cid: str, **params: Any) -> Any:
    message = DeviceCommand(session_id=sid, command_id=cid, kind="form.sign", params=params)
    await asyncio.wait_for(officer.client.request(message), WAIT)
    return await kiosk.skip_to("device.command")


def _ink_pixels(pdf: bytes, tmp: Path, name: str) -> int:
    """Dark-blue pixels (the signature's ink colour) on page 1."""
    (tmp / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(tmp / f"{name}.pdf"),
                    str(tmp / name)], check=True, timeout=30)  # fmt: skip
    image = cv2.imread(str(tmp / f"{name}.png"))
    b, g, r = image[..., 0].astype(int), image[..., 1].astype(int), image[..., 2].astype(int)
    return int(np.count_nonzero((b > 60) & (b - r > 40) & (b - g > 25)))


async def test_form_is_signed_and_the_officer_gets_the_signed_pdf(
    hub: HubHarness, tmp_path: Path
) -> None:
    officer, kiosk, sid = await in_call(hub)
    doc = await create(officer, sid, "form")
    desk = SignDesk(kiosk.client, lambda: None)
    try:
        desk.handle_command(
            sid, await sign_command(officer, kiosk, sid, "s1", document_id=doc["document_id"])
        )
        assert (await officer.skip_to("device.progress")).stage == "signing"
        await until(lambda: desk.request is not None)
        assert desk.request is not None and desk.request.page_png.startswith(b"\x89PNG")
        assert desk.request.field == "applicant"
        # No strokes: refused at the kiosk with a message, nothing sent.
        assert await desk.submit([[], []]) is False and desk.message == ("kiosk", "sign.empty")
        assert await desk.submit([STROKE]) is True
        assert (await officer.skip_to("device.progress")).stage == "signed"
        info = await officer.client.get_json(f"/api/v1/documents/{doc['document_id']}")
        assert info["status"] == "signed" and info["signed_at"]
        signed = await officer.client.get_bytes(
            f"/api/v1/documents/{doc['document_id']}/signed.pdf"
        )
        assert hashlib.sha256(signed).hexdigest() == info["signed_sha256"] != doc["sha256"]
        original = await officer.client.get_bytes(f"/api/v1/documents/{doc['document_id']}.pdf")
        assert _ink_pixels(signed, tmp_path, "signed") > 50
        assert _ink_pixels(original, tmp_path, "original") == 0
        # Stored encrypted: the signed PDF's bytes are not in the database row.
        async with hub.hub.db.session() as s:
            row = await s.scalar(
                select(StoredDocument).where(StoredDocument.id == doc["document_id"])
            )
        assert row is not None and row.signed_ciphertext is not None
        assert b"%PDF" not in row.signed_ciphertext and b"%PDF" not in row.ciphertext
        actions = [e["action"] for e in await hub.hub.core.audit.entries(sid)]
        assert "document.sign" in actions and "document.fetch_signed" in actions
        # Signing twice is a conflict, not a silent overwrite.
        with pytest.raises(HubRequestError) as again:
            await kiosk.client.post_json(
                f"/api/v1/documents/{doc['document_id']}/signature",
                {"strokes": [[[0.1, 0.1], [0.2, 0.2]]]},
            )
        assert again.value.code == "conflict"
    finally:
        await desk.close()


async def test_hub_refuses_a_signature_with_no_strokes(hub: HubHarness) -> None:
    officer, kiosk, sid = await in_call(hub)
    doc = await create(officer, sid, "form")
    path = f"/api/v1/documents/{doc['document_id']}/signature"
    for strokes in ([], [[], []]):
        with pytest.raises(HubRequestError) as refused:
            await kiosk.client.post_json(path, {"strokes": strokes})
        assert refused.value.code == "empty_signature" and "no strokes" in str(refused.value)
    with pytest.raises(HubRequestError) as refused:
        await kiosk.client.post_json(path, {"strokes": [[[1.5, 0.2]]]})
    assert refused.value.code == "bad_message"
    # The officer cannot sign for the resident; a receipt cannot be signed.
    with pytest.raises(HubRequestError) as refused:
        await officer.client.post_json(path, {"strokes": [[[0.1, 0.2]]]})
    assert refused.value.code == "forbidden"
    receipt = await create(officer, sid)
    with pytest.raises(HubRequestError) as refused:
        await kiosk.client.post_json(
            f"/api/v1/documents/{receipt['document_id']}/signature", {"strokes": [[[0.1, 0.2]]]}
        )
    assert refused.value.code == "bad_state"
    info = await officer.client.get_json(f"/api/v1/documents/{doc['document_id']}")
    assert info["status"] == "issued"


async def test_resident_who_cannot_sign_is_recorded_with_a_reason(hub: HubHarness) -> None:
    officer, kiosk, sid = await in_call(hub)
    doc = await create(officer, sid, "form")
    desk = SignDesk(kiosk.client, lambda: None)
    try:
        desk.handle_command(
            sid, await sign_command(officer, kiosk, sid, "s1", document_id=doc["document_id"])
        )
        await until(lambda: desk.request is not None)
        assert (await officer.skip_to("device.progress")).stage == "signing"
        assert await desk.cannot_sign("   ") is False and desk.message == (
            "kiosk",
            "sign.reason_needed",
        )
        assert await desk.cannot_sign("右手受伤，无法书写") is True
        assert (await officer.skip_to("device.progress")).stage == "cannot_sign"
        info = await officer.client.get_json(f"/api/v1/documents/{doc['document_id']}")
        assert info["status"] == "unsigned" and info["unsigned_reason"] == "右手受伤，无法书写"
    finally:
        await desk.close()


async def test_sign_command_for_a_missing_document_fails(hub: HubHarness) -> None:
    officer, kiosk, sid = await in_call(hub)
    desk = SignDesk(kiosk.client, lambda: None)
    try:
        desk.handle_command(
            sid, await sign_command(officer, kiosk, sid, "s1", document_id="f" * 32)
        )
        failed = await officer.skip_to("device.failed")
        assert failed.kind == "form.sign" and failed.code.value == "fetch_failed"
        assert desk.request is None
    finally:
        await desk.close()


def test_thin_drops_empty_strokes_and_bounds_points() -> None:
    many = [[(i / 5000, 0.5) for i in range(5000)], [], [(0.2, 0.2)]]
    out = thin(many, limit=1000)
    assert len(out) == 2 and sum(len(s) for s in out) <= 1002
    assert out[0][-1] == [round(4999 / 5000, 4), 0.5]
    assert thin([[], []]) == []
