"""CallPeer end to end in one process over loopback: connect, media both ways, reconnect, close."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from shared.media import SilenceAudioSource
from shared.protocol import CallState
from shared.rtc import CallTimings, enable_loopback_mode
from tests.support.rtc_calls import (
    Call,
    blackhole_media_path,
    kill_media_path,
    make_call,
    non_loopback,
    sdp_addresses,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def _loopback() -> None:
    enable_loopback_mode()


@pytest.fixture
async def call() -> AsyncIterator[Call]:
    c = await make_call()
    yield c
    await asyncio.wait_for(c.close(), 10)


async def _connect(c: Call) -> None:
    await asyncio.wait_for(c.answerer.start(), 5)
    await asyncio.wait_for(c.offerer.start(), 5)
    assert await c.offerer.remote_video.wait_frames(5, timeout=10)
    assert await c.answerer.remote_video.wait_frames(5, timeout=10)


async def _wait_state(peer_states: list[CallState], state: CallState, timeout: float) -> None:
    await asyncio.wait_for(_until(lambda: state in peer_states), timeout)


async def test_connects_and_frames_flow_both_ways(call: Call) -> None:
    await _connect(call)
    assert call.offerer.state == CallState.CONNECTED
    assert call.answerer.state == CallState.CONNECTED
    assert call.states["offerer"] == [CallState.CONNECTED]
    assert call.states["answerer"] == [CallState.CONNECTED]
    frame = call.answerer.remote_video.latest()
    assert frame is not None
    assert frame.shape == (120, 160, 3)
    assert frame.dtype.name == "uint8"
    assert call.offerer.remote_video.size == (160, 120)
    stats = call.offerer.stats()
    assert stats["reconnects"] == 0
    assert stats["offers_sent"] == 1
    assert isinstance(stats["last_connect_ms"], float)
    assert call.answerer.stats()["answers_sent"] == 1
    sink = call.offerer.remote_video
    assert sink.first_frame_at is not None
    assert sink.last_frame_at is not None


async def test_sdp_stays_on_loopback(call: Call) -> None:
    await _connect(call)
    for peer in (call.offerer, call.answerer):
        link = peer._link
        assert link is not None
        for description in (link.pc.localDescription, link.pc.remoteDescription):
            addresses = sdp_addresses(description.sdp)
            assert any(a.startswith("127.") for a in addresses)
            assert non_loopback(addresses) == []
            candidates = [ln for ln in description.sdp.splitlines() if ln.startswith("a=candidate")]
            assert candidates
            assert all(ln.split()[4].startswith("127.") for ln in candidates)


@pytest.mark.parametrize("victim", ["answerer", "offerer", "answerer-blackhole"])
async def test_lost_media_path_reconnects(call: Call, victim: str) -> None:
    await _connect(call)
    if victim == "answerer-blackhole":
        # Packets vanish without any socket error: only the watchdogs can notice.
        assert blackhole_media_path(call.answerer) > 0
    else:
        assert kill_media_path(call.answerer if victim == "answerer" else call.offerer) > 0
    await _wait_state(call.states["offerer"], CallState.RECONNECTING, 8)
    await _wait_state(call.states["answerer"], CallState.RECONNECTING, 8)
    # The offerer re-offers under the same session and the call comes back.
    for side in ("offerer", "answerer"):
        states = call.states[side]
        await asyncio.wait_for(_until(lambda s=states: s[-1] == CallState.CONNECTED), 10)
    before_o = call.offerer.remote_video.frames_received
    before_a = call.answerer.remote_video.frames_received
    assert await call.offerer.remote_video.wait_frames(before_o + 5, timeout=10)
    assert await call.answerer.remote_video.wait_frames(before_a + 5, timeout=10)
    assert call.offerer.reconnects == 1
    assert call.answerer.reconnects == 1
    assert call.sig_offerer.offers_sent == 2
    expected = [CallState.CONNECTED, CallState.RECONNECTING, CallState.CONNECTED]
    assert call.states["offerer"] == expected
    assert call.states["answerer"] == expected


async def _until(predicate: Callable[[], bool]) -> None:
    while not predicate():  # noqa: ASYNC110 - polling a plain list the callbacks append to
        await asyncio.sleep(0.05)


async def test_graceful_close(call: Call) -> None:
    await _connect(call)
    await asyncio.wait_for(call.offerer.close(), 5)
    await asyncio.wait_for(call.offerer.close(), 5)  # idempotent
    # The answerer sees the far side close at once and goes RECONNECTING, waiting for an offer.
    await _wait_state(call.states["answerer"], CallState.RECONNECTING, 5)
    await asyncio.wait_for(call.answerer.close(), 5)
    assert call.offerer._live_links == set()
    assert call.answerer._live_links == set()
    assert call.answerer.stats()["pc_state"] is None


async def test_lost_answer_is_retried() -> None:
    timings = CallTimings(connect_timeout=1.0, retry_initial=0.1)
    c = await make_call(timings=timings)
    try:
        c.sig_answerer.drop_answers = 1
        await asyncio.wait_for(c.answerer.start(), 5)
        await asyncio.wait_for(c.offerer.start(), 5)
        assert await c.answerer.remote_video.wait_frames(3, timeout=10)
        assert c.sig_offerer.offers_sent == 2
        assert c.offerer.reconnects == 0
        assert c.states["offerer"] == [CallState.CONNECTED]
    finally:
        await asyncio.wait_for(c.close(), 10)


async def test_failed_send_offer_backs_off_and_retries() -> None:
    timings = CallTimings(retry_initial=0.1)
    c = await make_call(timings=timings)
    original = c.sig_offerer.send_offer
    failures = 2

    async def flaky(sdp: str) -> None:
        nonlocal failures
        if failures:
            failures -= 1
            raise ConnectionError("hub unreachable")
        await original(sdp)

    c.offerer._signaling = type("S", (), {"send_offer": staticmethod(flaky)})()
    try:
        await asyncio.wait_for(c.answerer.start(), 5)
        await asyncio.wait_for(c.offerer.start(), 5)  # must not raise
        assert await c.answerer.remote_video.wait_frames(3, timeout=10)
        assert c.offerer.stats()["offers_sent"] == 3
    finally:
        await asyncio.wait_for(c.close(), 10)


async def test_one_way_video_and_bad_input() -> None:
    c = await make_call(answerer_video=False)
    try:
        await asyncio.wait_for(c.answerer.handle_offer("v=0 garbage"), 5)  # logged, not raised
        await asyncio.wait_for(c.offerer.handle_answer("garbage"), 5)  # no offer pending
        await asyncio.wait_for(c.answerer.handle_answer("x"), 5)  # wrong role: ignored
        await asyncio.wait_for(c.offerer.start(), 5)
        assert await c.answerer.remote_video.wait_frames(5, timeout=10)
        # Longer than the no-frame watchdog: no video is expected, so no reconnect.
        await asyncio.sleep(2.5)  # not a wait: watching that no reconnect starts
        assert c.offerer.state == CallState.CONNECTED
        assert c.offerer.reconnects == 0
        assert c.offerer.remote_video.frames_received == 0
    finally:
        await asyncio.wait_for(c.close(), 10)


async def test_audio_both_ways_with_silence_sources() -> None:
    heard: list[object] = []
    c = await make_call(offerer_audio=SilenceAudioSource(), on_answerer_audio=heard.append)
    try:
        await asyncio.wait_for(c.answerer.start(), 5)
        await asyncio.wait_for(c.offerer.start(), 5)
        assert await c.answerer.remote_video.wait_frames(3, timeout=10)
        await asyncio.wait_for(_until(lambda: len(heard) >= 10), 10)
        assert c.answerer.stats()["remote_audio_frames"] >= 10
        assert c.offerer.stats()["remote_audio_frames"] == 0  # the console has no microphone
    finally:
        await asyncio.wait_for(c.close(), 10)


async def test_offerer_without_camera_still_receives() -> None:
    c = await make_call(offerer_video=False)
    try:
        await asyncio.wait_for(c.answerer.start(), 5)
        await asyncio.wait_for(c.offerer.start(), 5)
        assert await c.offerer.remote_video.wait_frames(5, timeout=10)
        assert c.answerer.remote_video.frames_received == 0
        assert c.answerer.state == CallState.CONNECTED
    finally:
        await asyncio.wait_for(c.close(), 10)
