"""Page limits on a real hub: decoded size by channels and bit depth, pages per session,
the bounded image pool; and the hub names no software version.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from backoffice_console.hub.materials import MATERIALS_KEY
from backoffice_console.hub.materials.images import (
    MAX_DECODED_BYTES,
    InvalidImage,
    check_page_image,
    read_header,
)
from shared.hubclient import HubRequestError
from tests.hub.identity.test_routes import in_call
from tests.hub.materials.test_routes import page_jpeg, upload
from tests.support.hub_fixtures import HubHarness, running_hub


def png_header_only(width: int, height: int, bits: int, color_type: int) -> bytes:
    """A tiny PNG whose header claims a size, bit depth and colour type."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, bits, color_type, 0, 0, 0)
    body = zlib.compress(b"\x00" * (64 * (width + 1)), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def test_decoded_size_counts_channels_and_bit_depth() -> None:
    bomb = png_header_only(7000, 7000, 16, 2)  # the probe: 49 Mpx of 16-bit RGB, a few KB
    header = read_header(bomb)
    assert (header.channels, header.bits) == (3, 16)
    assert header.decoded_bytes == 7000 * 7000 * 3 * 2 > MAX_DECODED_BYTES
    with pytest.raises(InvalidImage) as err:
        check_page_image(bomb)
    assert err.value.reason == "too_many_pixels" and "16-bit" in err.value.detail
    # The same pixels at 8 bits grey pass the header checks (and fail later, as truncated
    # data, not as a bomb): bit depth and channels are what made the difference.
    grey = read_header(png_header_only(5000, 5000, 8, 0))
    assert grey.decoded_bytes == 5000 * 5000 * 3 <= MAX_DECODED_BYTES
    # A 16 MP colour page from a document camera is fine.
    assert read_header(png_header_only(4608, 3456, 8, 6)).decoded_bytes <= MAX_DECODED_BYTES


@pytest.fixture(name="small_hub")
async def small_hub_fixture(tmp_path: Path) -> AsyncIterator[HubHarness]:
    """A hub whose sessions hold two pages and whose image pool has no waiting room."""
    async with running_hub(tmp_path / "hub", max_pages_per_session=2, image_queue=0) as hub:
        yield hub


async def test_pages_per_session_are_capped_and_the_image_pool_is_bounded(
    small_hub: HubHarness,
) -> None:
    hub = small_hub
    _, kiosk, sid = await in_call(hub)
    first = page_jpeg(1)
    await upload(kiosk, sid, first)
    # The pool is full (its one slot taken): the upload is refused for now, not queued.
    service = hub.app[MATERIALS_KEY]
    await service._slots.acquire()
    try:
        with pytest.raises(HubRequestError) as err:
            await upload(kiosk, sid, page_jpeg(2))
        assert err.value.code == "rate_limited"
    finally:
        service._slots.release()
    await upload(kiosk, sid, page_jpeg(2))
    with pytest.raises(HubRequestError) as err:
        await upload(kiosk, sid, page_jpeg(3))
    assert err.value.code == "invalid_image" and "too_many_pages" in err.value.message
    again = await upload(kiosk, sid, first)  # a resent page is still answered
    assert again["duplicate"] is True and again["page_no"] == 1


async def test_the_hub_names_no_software_version(hub: HubHarness) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=hub.ssl())) as http:
        for path in ("/api/v1/health", "/api/v1/nothing", "/ws"):
            async with http.get(f"{hub.url}{path}") as resp:
                server = resp.headers.get("Server", "")
                assert "aiohttp" not in server.lower() and "python" not in server.lower(), path
