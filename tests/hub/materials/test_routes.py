"""Materials through a real hub: upload, idempotency, encryption, console notice, reads, abuse."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import struct
import zlib
from typing import Any

import cv2
import numpy as np
import pytest
from sqlalchemy import func, select

from backoffice_console.hub.core.models import AuditEntry
from backoffice_console.hub.materials.images import InvalidImage, check_page_image, read_header
from backoffice_console.hub.materials.models import StoredMaterial
from shared.hubclient import HubRequestError
from shared.imaging import encode_jpeg
from shared.protocol import SessionEnd
from tests.hub.identity.test_routes import in_call, req
from tests.support.hub_fixtures import WAIT, HubHarness, Peer


def page_jpeg(seed: int = 1, size: tuple[int, int] = (640, 480)) -> bytes:
    rng = np.random.default_rng(seed)
    image = np.full((size[1], size[0], 3), 235, np.uint8)
    for _ in range(12):  # some "text" so each seed is a different page
        x = int(rng.integers(0, max(1, size[0] - 200)))
        y = int(rng.integers(20, max(21, size[1] - 20)))
        cv2.putText(image, f"line {seed} {x}", (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (20, 20, 20))
    return encode_jpeg(image, 85)


def png_bytes(width: int, height: int, body: bytes | None = None) -> bytes:
    """A PNG whose header says width x height; `body` defaults to a real (small) image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    if body is None:
        # Rows of zeros compress to almost nothing: the classic decompression bomb.
        body = zlib.compress(b"\x00" * (min(height, 64) * (width + 1)), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def upload(
    kiosk: Peer, sid: str, data: bytes, digest: str | None = None, command: str | None = None
) -> Any:
    headers = {"X-Content-SHA256": digest or sha(data)}
    if command:
        headers["X-Command-Id"] = command
    return await asyncio.wait_for(
        kiosk.client.post_bytes(f"/api/v1/sessions/{sid}/materials", data, "image/jpeg", headers),
        WAIT * 3,
    )


async def no_material_added(peer: Peer, seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)  # not a wait: watching that no page is announced
    while not peer.inbox.empty():
        message = peer.inbox.get_nowait()
        assert message.type != "material.added", message


async def count(hub: HubHarness) -> int:
    async with hub.hub.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(StoredMaterial)) or 0)


async def audits(hub: HubHarness, action: str) -> list[AuditEntry]:
    async with hub.hub.db.session() as s:
        return list(await s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def test_upload_is_stored_encrypted_announced_and_idempotent(hub: HubHarness) -> None:
    officer, kiosk, sid = await in_call(hub)
    data = page_jpeg(1)

    first = await upload(kiosk, sid, data, command="cap-1")
    assert first == {"material_id": first["material_id"], "page_no": 1, "duplicate": False}
    added = await officer.skip_to("material.added")
    assert added.material_id == first["material_id"] and added.page_no == 1
    assert added.command_id == "cap-1" and added.sha256 == sha(data)
    assert (added.width, added.height) == (640, 480)
    thumb = base64.b64decode(added.thumbnail_jpeg_b64)
    assert thumb.startswith(b"\xff\xd8") and len(added.thumbnail_jpeg_b64) <= 32 * 1024
    assert cv2.imdecode(np.frombuffer(thumb, np.uint8), cv2.IMREAD_COLOR).shape[1] == 320

    again = await upload(kiosk, sid, data)
    assert again == {"material_id": first["material_id"], "page_no": 1, "duplicate": True}
    await no_material_added(officer)  # a repeat is not announced twice
    second = await upload(kiosk, sid, page_jpeg(2))
    assert second["page_no"] == 2 and second["material_id"] != first["material_id"]
    assert await count(hub) == 2
    assert len(await audits(hub, "material.store")) == 2

    # Encrypted at rest: the stored bytes are not a JPEG and do not contain the image.
    async with hub.hub.db.session() as s:
        row = await s.get(StoredMaterial, first["material_id"])
    assert row is not None and not row.ciphertext.startswith(b"\xff\xd8")

    # The officer fetches the full image (our re-encoding, same size), audited.
    full = await asyncio.wait_for(
        officer.client.get_bytes(f"/api/v1/materials/{first['material_id']}"), WAIT
    )
    decoded = cv2.imdecode(np.frombuffer(full, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (480, 640, 3)
    original = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert float(np.abs(decoded.astype(int) - original.astype(int)).mean()) < 4.0
    assert len(await audits(hub, "material.read")) == 1
    listing = await asyncio.wait_for(
        officer.client.get_json(f"/api/v1/sessions/{sid}/materials"), WAIT
    )
    assert [m["page_no"] for m in listing] == [1, 2]


async def test_other_officers_and_kiosks_are_refused(hub: HubHarness) -> None:
    _officer, kiosk, sid = await in_call(hub, "o1")
    other_officer, other_kiosk, other_sid = await in_call(hub, "o2")
    material = (await upload(kiosk, sid, page_jpeg(3)))["material_id"]

    with pytest.raises(HubRequestError) as err:  # a page for a session the kiosk does not hold
        await upload(other_kiosk, sid, page_jpeg(4))
    assert err.value.code == "not_in_session"
    with pytest.raises(HubRequestError) as err:
        await asyncio.wait_for(
            other_officer.client.get_bytes(f"/api/v1/materials/{material}"), WAIT
        )
    assert err.value.code == "forbidden"
    with pytest.raises(HubRequestError) as err:  # an officer cannot upload
        await asyncio.wait_for(
            other_officer.client.post_bytes(
                f"/api/v1/sessions/{other_sid}/materials", page_jpeg(5), "image/jpeg",
                {"X-Content-SHA256": sha(page_jpeg(5))},
            ),
            WAIT,
        )  # fmt: skip
    assert err.value.code == "forbidden"
    assert await count(hub) == 1


async def test_late_pages_of_an_ended_call_are_still_accepted(hub: HubHarness) -> None:
    officer, kiosk, sid = await in_call(hub)
    await req(officer, SessionEnd(session_id=sid))
    # The kiosk's outbox still held a page when the call ended: it must not be lost.
    result = await upload(kiosk, sid, page_jpeg(6))
    assert result["duplicate"] is False and await count(hub) == 1


def _truncated() -> bytes:
    data = page_jpeg(7)
    return data[: len(data) // 2]


ABUSE = {
    "non_image": (b"%PDF-1.4 not an image at all" * 10, "not_an_image"),
    "text_named_jpeg": (b"hello", "not_an_image"),
    "truncated_jpeg": (_truncated(), "truncated"),
    "pixel_flood_png": (png_bytes(30_000, 30_000), "too_many_pixels"),
    "pixel_flood_jpeg": (b"", "too_many_pixels"),  # filled in below
}


def _jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(page_jpeg(8))
    for marker in (0xC0, 0xC2):
        at = data.find(bytes([0xFF, marker]))
        if at > 0:
            data[at + 5 : at + 9] = struct.pack(">HH", height, width)
            return bytes(data)
    raise AssertionError("no SOF marker")


ABUSE["pixel_flood_jpeg"] = (_jpeg_claiming(60_000, 60_000), "too_many_pixels")


@pytest.mark.parametrize("case", sorted(ABUSE))
async def test_abuse_is_refused_clearly_and_nothing_is_stored(hub: HubHarness, case: str) -> None:
    officer, kiosk, sid = await in_call(hub)
    data, reason = ABUSE[case]
    with pytest.raises(HubRequestError) as err:
        await upload(kiosk, sid, data)
    assert err.value.code == "invalid_image"
    assert err.value.message.startswith(reason)
    assert await count(hub) == 0
    refused = await audits(hub, "material.refused")
    assert [r.detail["reason"] for r in refused] == [reason]
    await no_material_added(officer)


async def test_oversized_and_mismatched_uploads_are_refused(hub: HubHarness) -> None:
    _officer, kiosk, sid = await in_call(hub)
    big = b"\xff\xd8\xff" + b"\0" * (21 * 1024 * 1024)
    with pytest.raises(HubRequestError) as err:
        await upload(kiosk, sid, big)
    assert err.value.code == "too_large"
    data = page_jpeg(9)
    with pytest.raises(HubRequestError) as err:  # corrupted in transit
        await upload(kiosk, sid, data, digest=sha(data + b"x"))
    assert err.value.code == "invalid_image"
    with pytest.raises(HubRequestError) as err:
        await upload(kiosk, sid, data, digest="nothex")
    assert err.value.code == "bad_message"
    assert await count(hub) == 0
    # The same page, sent properly, is then accepted.
    assert (await upload(kiosk, sid, data))["page_no"] == 1


def test_header_check_runs_before_decoding() -> None:
    assert read_header(png_bytes(30_000, 30_000)).width == 30_000
    with pytest.raises(InvalidImage) as err:
        check_page_image(png_bytes(10_000, 10_000))
    assert err.value.reason == "too_many_pixels"
    small = png_bytes(64, 48, zlib.compress(b"\x00" * (48 * 65)))
    page = check_page_image(small)
    assert (page.width, page.height) == (64, 48) and page.jpeg.startswith(b"\xff\xd8")
