"""One side of a video call: builds peer connections, watches the media path, reconnects.

Exactly one side (the offerer, the kiosk) makes offers. When the media path is lost
(data-channel silence, the connection closing or failing, or no decoded remote frame
for a while) the offerer throws its peer connection away and offers a new one under
the same session; the answerer replaces its peer connection with each new offer.
aiortc has no ICE restart, so a fresh connection is the only way back, and it is cheap.

The offerer may send a second video track, the document camera's preview (`doccam`).
Its offer lists the face video first and the document camera second; the answerer
tells them apart by that order of the video m-lines (kept by aiortc on both sides,
unlike track ids or labels), so every reconnect sorts them the same way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import av
from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCDataChannel,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from shared.media.audio import AudioSource
from shared.media.base import VideoSource
from shared.protocol import CallState, IceServer
from shared.rtc.signaling import CallSignaling
from shared.rtc.sink import FrameSink
from shared.tasks import TaskKeeper

log = logging.getLogger(__name__)

CONTROL_CHANNEL = "ctl"


class TrackSource(Protocol):
    """Anything that makes a fresh video track for each peer connection."""

    def create_track(self) -> MediaStreamTrack: ...


@dataclass(frozen=True)
class CallTimings:
    """How fast a call notices a lost media path and how it retries (seconds)."""

    ping_interval: float = 1.0
    silence_timeout: float = 4.0
    """No data-channel message for this long means the path is lost."""
    no_frame_timeout: float = 2.0
    """Connected but no decoded remote frame for this long means the media is stuck."""
    connect_timeout: float = 8.0
    """An offer not connected after this long is given up and offered again."""
    retry_initial: float = 0.5
    retry_max: float = 10.0
    close_timeout: float = 2.0
    tick: float = 0.2


@dataclass(eq=False)
class _Link:
    """One generation of peer connection and everything hanging off it."""

    gen: int
    pc: RTCPeerConnection
    tasks: TaskKeeper
    local_tracks: list[MediaStreamTrack] = field(default_factory=list)
    channel: RTCDataChannel | None = None
    expect_video: bool = False
    created_at: float = field(default_factory=time.monotonic)
    offered_at: float | None = None
    connected_at: float | None = None
    last_heard: float = 0.0
    last_frame_at: float | None = None


def rtc_configuration(ice_servers: list[IceServer]) -> RTCConfiguration:
    """An explicit RTCConfiguration; an empty list means no STUN at all (never Google's).

    Max-compat: each m-line starts with a transport of its own and BUNDLE then moves
    them all onto the first one. With aiortc's default ("balanced") a second video
    m-line shares the first one's early transport, which BUNDLE later orphans, and the
    document camera's track never flows; "max-bundle" does not connect at all between
    two aiortc 1.16 peers.
    """
    return RTCConfiguration(
        iceServers=[
            RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
            for s in ice_servers
        ],
        bundlePolicy=RTCBundlePolicy.MAX_COMPAT,
    )


class CallPeer:
    """One side of a call; see the module docstring for the reconnect rules.

    `remote_video` is the same FrameSink across reconnects, and so is `remote_doccam`
    (the offerer's document-camera track). `on_state` is called on every change of
    `state` (CONNECTING, CONNECTED, RECONNECTING). Local sources are not owned: the
    caller starts and stops them; each peer connection gets fresh tracks from them.
    """

    def __init__(
        self,
        *,
        offerer: bool,
        ice_servers: list[IceServer],
        video: VideoSource | None,
        signaling: CallSignaling,
        on_state: Callable[[CallState], None] | None = None,
        audio: AudioSource | None = None,
        timings: CallTimings | None = None,
        on_audio_frame: Callable[[av.AudioFrame], None] | None = None,
        doccam: TrackSource | None = None,
    ) -> None:
        self._offerer = offerer
        self._doccam = doccam if offerer else None
        self._config = rtc_configuration(ice_servers)
        self._video = video
        self._audio = audio
        self._signaling = signaling
        self._on_state = on_state
        self._on_audio_frame = on_audio_frame
        self._t = timings or CallTimings()
        self.remote_video = FrameSink()
        self.remote_doccam = FrameSink()
        self.state = CallState.CONNECTING
        self.reconnects = 0
        self._link: _Link | None = None
        self._live_links: set[_Link] = set()
        self._gen = 0
        self._tasks = TaskKeeper("call")
        self._lock = asyncio.Lock()
        self._started = False
        self._closed = False
        # Offerer retry state: whether an offer is due, when, and the current backoff.
        self._need_offer = False
        self._next_offer_at = 0.0
        self._retry_delay = self._t.retry_initial
        self._offers_sent = 0
        self._answers_sent = 0
        self._remote_audio_frames = 0
        self._connected_at: float | None = None
        self._last_connected_at: float | None = None
        self._last_connect_ms: float | None = None

    @property
    def offerer(self) -> bool:
        """True on the side that makes offers."""
        return self._offerer

    # --- public API ----------------------------------------------------------------

    async def start(self) -> None:
        """Offerer: build a peer connection and send an offer. Answerer: get ready for offers."""
        if self._started or self._closed:
            return
        self._started = True
        self._tasks.start(self._supervise(), "supervise")
        if self._offerer:
            await self._offer_or_schedule_retry()

    async def handle_offer(self, sdp: str) -> None:
        """Answerer: replace the peer connection with one built for this offer, and answer.

        A bad offer is logged and dropped; this never raises.
        """
        if self._offerer:
            log.warning("offerer received an offer; ignored")
            return
        if self._closed:
            return
        if not self._started:
            self._started = True
            self._tasks.start(self._supervise(), "supervise")
        async with self._lock:
            if self.state == CallState.CONNECTED:
                # The offerer lost the path before we noticed.
                self._mark_lost("new offer while connected")
            await self._retire_link()
            link = self._new_link()
            try:
                await link.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
                self._add_local_tracks(link, answering=True)
                await link.pc.setLocalDescription(await link.pc.createAnswer())
                answer = link.pc.localDescription.sdp
            except Exception as exc:
                log.warning("could not answer the offer: %s", exc)
                await self._retire_link()
                return
        try:
            await self._signaling.send_answer(answer)
            self._answers_sent += 1
        except Exception as exc:
            log.warning("could not send the answer: %s", exc)

    async def handle_answer(self, sdp: str) -> None:
        """Offerer: apply the answer to the current peer connection. Never raises."""
        if not self._offerer:
            log.warning("answerer received an answer; ignored")
            return
        if self._closed:
            return
        async with self._lock:
            link = self._link
            if link is None or link.pc.signalingState != "have-local-offer":
                log.info("answer ignored: no offer is pending")
                return
            try:
                await link.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
            except Exception as exc:
                log.warning("could not apply the answer: %s", exc)
                self._schedule_offer(backoff=True)

    def stats(self) -> dict[str, object]:
        """Counters for health reports and benchmarks."""
        link = self._link
        return {
            "state": self.state.value,
            "offerer": self._offerer,
            "reconnects": self.reconnects,
            "frames_received": self.remote_video.frames_received,
            "doccam_frames_received": self.remote_doccam.frames_received,
            "first_frame_at": self.remote_video.first_frame_at,
            "frames_captured": self._video.frames_captured() if self._video else None,
            "remote_audio_frames": self._remote_audio_frames,
            "connected_at": self._connected_at,
            "last_connected_at": self._last_connected_at,
            "last_connect_ms": self._last_connect_ms,
            "offers_sent": self._offers_sent,
            "answers_sent": self._answers_sent,
            "peer_connections": self._gen,
            "pc_state": link.pc.connectionState if link else None,
        }

    async def close(self) -> None:
        """Close the peer connection and stop every task of this call. Never raises."""
        if self._closed:
            return
        self._closed = True
        try:
            await self._tasks.cancel_all()
            self._link = None
            for link in list(self._live_links):
                await self._close_link(link)
        except Exception:
            log.exception("error while closing the call")

    # --- peer connections ------------------------------------------------------------

    def _new_link(self) -> _Link:
        self._gen += 1
        pc = RTCPeerConnection(configuration=self._config)
        link = _Link(gen=self._gen, pc=pc, tasks=TaskKeeper(f"call-pc{self._gen}"))

        @pc.on("connectionstatechange")
        def _on_connection_state() -> None:
            self._on_pc_state(link)

        @pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            self._on_remote_track(link, track)

        @pc.on("datachannel")
        def _on_datachannel(channel: RTCDataChannel) -> None:
            if channel.label == CONTROL_CHANNEL:
                self._wire_channel(link, channel)

        self._link = link
        self._live_links.add(link)
        return link

    def _add_local_tracks(self, link: _Link, *, answering: bool) -> None:
        for kind, source in (("audio", self._audio), ("video", self._video)):
            track: MediaStreamTrack | None = None
            if source is not None:
                try:
                    track = source.create_track()
                except Exception as exc:
                    log.warning("no local %s this time: %s", kind, exc)
            if track is not None:
                link.local_tracks.append(track)
                link.pc.addTrack(track)
            elif not answering:
                # Offer the m-line anyway so the other side can still send us its media.
                link.pc.addTransceiver(kind, direction="recvonly")
        if self._doccam is not None and not answering:
            try:
                link.local_tracks.append(self._doccam.create_track())
            except Exception as exc:
                log.warning("no document-camera track this time: %s", exc)
            else:
                # After the face video: the answerer knows it by this order.
                link.pc.addTransceiver(link.local_tracks[-1], direction="sendonly")

    async def _offer(self) -> None:
        async with self._lock:
            if self._closed:
                return
            await self._retire_link()
            link = self._new_link()
            self._wire_channel(link, link.pc.createDataChannel(CONTROL_CHANNEL))
            self._add_local_tracks(link, answering=False)
            await link.pc.setLocalDescription(await link.pc.createOffer())
            link.offered_at = time.monotonic()
            offer = link.pc.localDescription.sdp
        self._offers_sent += 1
        await self._signaling.send_offer(offer)

    async def _offer_or_schedule_retry(self) -> None:
        self._need_offer = False
        try:
            await self._offer()
        except Exception as exc:
            log.warning("could not send an offer: %s", exc)
            self._schedule_offer(backoff=True)

    def _schedule_offer(self, *, backoff: bool) -> None:
        self._need_offer = True
        if backoff:
            self._next_offer_at = time.monotonic() + self._retry_delay
            self._retry_delay = min(self._retry_delay * 2, self._t.retry_max)
        else:
            self._next_offer_at = time.monotonic()

    async def _retire_link(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            await self._close_link(link)

    async def _close_link(self, link: _Link) -> None:
        try:
            await link.tasks.cancel_all()
            for track in link.local_tracks:
                track.stop()
            await asyncio.wait_for(link.pc.close(), self._t.close_timeout)
        except Exception as exc:
            log.debug("closing peer connection %d: %r", link.gen, exc)
        finally:
            self._live_links.discard(link)

    # --- events from the current peer connection -------------------------------------

    def _on_pc_state(self, link: _Link) -> None:
        if link is not self._link or self._closed:
            return
        pc_state = link.pc.connectionState
        log.debug("pc %d %s", link.gen, pc_state)
        if pc_state == "connected" and link.connected_at is None:
            now = time.monotonic()
            link.connected_at = now
            link.last_heard = now
            self._retry_delay = self._t.retry_initial
            self._last_connected_at = time.time()
            if self._connected_at is None:
                self._connected_at = self._last_connected_at
            if link.offered_at is not None:
                self._last_connect_ms = (now - link.offered_at) * 1000
            self._set_state(CallState.CONNECTED)

    def _on_remote_track(self, link: _Link, track: MediaStreamTrack) -> None:
        if track.kind == "video":
            videos = [t for t in link.pc.getTransceivers() if t.kind == "video"]
            index = next((i for i, t in enumerate(videos) if t.receiver.track is track), 0)
            if index == 0:
                link.expect_video = True
                link.tasks.start(self._consume_video(link, track, self.remote_video), "video-in")
            else:
                # The document camera: shown, but not what the media watchdog checks.
                link.tasks.start(self._consume_video(None, track, self.remote_doccam), "doccam-in")
        else:
            link.tasks.start(self._consume_audio(track), "audio-in")

    async def _consume_video(
        self, link: _Link | None, track: MediaStreamTrack, sink: FrameSink
    ) -> None:
        # Every remote track is read to the end: frames queue without bound otherwise.
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if not isinstance(frame, av.VideoFrame):
                continue
            sink.push(frame)
            if link is not None:
                link.last_frame_at = time.monotonic()

    async def _consume_audio(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self._remote_audio_frames += 1
            if self._on_audio_frame is not None and isinstance(frame, av.AudioFrame):
                try:
                    self._on_audio_frame(frame)
                except Exception:
                    log.exception("audio output failed")

    def _wire_channel(self, link: _Link, channel: RTCDataChannel) -> None:
        link.channel = channel

        @channel.on("message")
        def _on_message(_message: Any) -> None:
            link.last_heard = time.monotonic()

        link.tasks.start(self._ping(link, channel), "ping")

    async def _ping(self, link: _Link, channel: RTCDataChannel) -> None:
        while True:
            await asyncio.sleep(self._t.ping_interval)
            if channel.readyState == "open":
                try:
                    channel.send("ping")
                except Exception as exc:
                    log.debug("ping failed: %r", exc)

    # --- supervision ---------------------------------------------------------------------

    async def _supervise(self) -> None:
        while True:
            await asyncio.sleep(self._t.tick)
            try:
                await self._check()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("call supervision step failed")

    async def _check(self) -> None:
        now = time.monotonic()
        link = self._link
        if link is not None and self.state == CallState.CONNECTED:
            reason = self._loss_reason(link, now)
            if reason is not None:
                log.warning("media path lost (%s); reconnecting", reason)
                async with self._lock:
                    if link is self._link:
                        self._mark_lost(reason)
                        await self._retire_link()
                        if self._offerer:
                            self._schedule_offer(backoff=False)
        elif self._offerer and link is not None and link.connected_at is None:
            waited = now - (link.offered_at or link.created_at)
            failed = link.pc.connectionState in ("failed", "closed")
            if failed or waited > self._t.connect_timeout:
                log.warning(
                    "connection attempt %s after %.1f s; offering again",
                    "failed" if failed else "timed out",
                    waited,
                )
                async with self._lock:
                    if link is self._link:
                        await self._retire_link()
                        self._schedule_offer(backoff=True)
        if self._offerer and self._need_offer and time.monotonic() >= self._next_offer_at:
            await self._offer_or_schedule_retry()

    def _loss_reason(self, link: _Link, now: float) -> str | None:
        if link.pc.connectionState in ("failed", "closed"):
            return f"connection {link.pc.connectionState}"
        if now - link.last_heard > self._t.silence_timeout:
            return "control channel silent"
        if link.expect_video and link.connected_at is not None:
            since = max(link.connected_at, link.last_frame_at or 0.0)
            if now - since > self._t.no_frame_timeout:
                return "no remote video"
        return None

    def _mark_lost(self, reason: str) -> None:
        self.reconnects += 1
        log.info("call reconnect #%d (%s)", self.reconnects, reason)
        self._set_state(CallState.RECONNECTING)

    def _set_state(self, state: CallState) -> None:
        if state == self.state:
            return
        self.state = state
        if self._on_state is not None:
            try:
                self._on_state(state)
            except Exception:
                log.exception("call state callback failed")
