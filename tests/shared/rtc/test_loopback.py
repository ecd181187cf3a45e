"""Loopback mode: ICE host candidates only on a loopback address, and never STUN."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import aioice.ice
import pytest
from aiortc import RTCPeerConnection

from shared.protocol import IceServer
from shared.rtc import disable_loopback_mode, enable_loopback_mode, loopback_address
from shared.rtc.peer import rtc_configuration
from tests.support.rtc_calls import non_loopback, sdp_addresses

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    yield
    enable_loopback_mode()  # leave the process as the other rtc tests expect it


async def _offer_sdp() -> str:
    pc = RTCPeerConnection(rtc_configuration([]))
    try:
        pc.createDataChannel("ctl")
        pc.addTransceiver("video", direction="recvonly")
        pc.addTransceiver("audio", direction="recvonly")
        await asyncio.wait_for(pc.setLocalDescription(await pc.createOffer()), 10)
        return str(pc.localDescription.sdp)
    finally:
        await pc.close()


async def test_only_loopback_candidates_in_sdp() -> None:
    enable_loopback_mode()
    enable_loopback_mode()  # idempotent
    assert loopback_address() == "127.0.0.1"
    sdp = await _offer_sdp()
    addresses = sdp_addresses(sdp)
    assert non_loopback(addresses) == []
    candidates = [ln.split()[4] for ln in sdp.splitlines() if ln.startswith("a=candidate:")]
    assert candidates
    assert set(candidates) == {"127.0.0.1"}
    assert "typ srflx" not in sdp and "typ relay" not in sdp


async def test_other_loopback_address() -> None:
    enable_loopback_mode("127.0.0.1")
    original = aioice.ice.get_host_addresses
    enable_loopback_mode("::1")
    assert aioice.ice.get_host_addresses is original  # patched once, address switched
    assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False) == []
    assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == ["::1"]


def test_rejects_non_loopback_and_disables() -> None:
    with pytest.raises(ValueError, match="loopback"):
        enable_loopback_mode("192.0.2.1")
    enable_loopback_mode()
    disable_loopback_mode()
    assert loopback_address() is None
    assert aioice.ice.get_host_addresses.__module__ == "aioice.ice"


def test_configuration_is_explicit() -> None:
    assert rtc_configuration([]).iceServers == []
    config = rtc_configuration(
        [IceServer(urls=["turn:127.0.0.1:3478"], username="1:u", credential="secret")]
    )
    assert config.iceServers is not None
    (server,) = config.iceServers
    assert server.urls == ["turn:127.0.0.1:3478"]
    assert server.username == "1:u"
