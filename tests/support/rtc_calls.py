"""Helpers shared by the rtc tests: a two-peer call in one process on loopback."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import av

from shared.media import AudioSource, VideoSource, VideoSourceConfig, open_video_source
from shared.protocol import CallState
from shared.rtc import CallPeer, CallTimings, MemorySignaling, memory_signaling_pair

SMALL = {"width": 160, "height": 120, "fps": 15}
_IPV4 = re.compile(r"\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b")


@dataclass
class Call:
    """An offerer (kiosk-like) and an answerer (console-like) joined by in-memory signaling."""

    offerer: CallPeer
    answerer: CallPeer
    sig_offerer: MemorySignaling
    sig_answerer: MemorySignaling
    sources: list[VideoSource]
    states: dict[str, list[CallState]] = field(default_factory=dict)

    async def close(self) -> None:
        await self.offerer.close()
        await self.answerer.close()
        await self.sig_offerer.close()
        await self.sig_answerer.close()
        for source in self.sources:
            await source.stop()


async def make_call(
    *,
    offerer_video: bool = True,
    answerer_video: bool = True,
    timings: CallTimings | None = None,
    offerer_audio: AudioSource | None = None,
    on_answerer_audio: Callable[[av.AudioFrame], None] | None = None,
) -> Call:
    """Build and start sources and both peers (not started yet)."""
    sources: list[VideoSource] = []
    videos: list[VideoSource | None] = []
    for wanted, label in ((offerer_video, "Kiosk"), (answerer_video, "Officer")):
        if wanted:
            source = open_video_source(VideoSourceConfig(label=label, **SMALL))
            await source.start()
            sources.append(source)
            videos.append(source)
        else:
            videos.append(None)
    sig_o, sig_a = memory_signaling_pair()
    states: dict[str, list[CallState]] = {"offerer": [], "answerer": []}
    offerer = CallPeer(
        offerer=True,
        ice_servers=[],
        video=videos[0],
        signaling=sig_o,
        on_state=states["offerer"].append,
        timings=timings,
        audio=offerer_audio,
    )
    answerer = CallPeer(
        offerer=False,
        ice_servers=[],
        video=videos[1],
        signaling=sig_a,
        on_state=states["answerer"].append,
        timings=timings,
        on_audio_frame=on_answerer_audio,
    )
    sig_o.connect(answerer)
    sig_a.connect(offerer)
    return Call(offerer, answerer, sig_o, sig_a, sources, states)


def sdp_addresses(sdp: str) -> list[str]:
    """Every IPv4-looking token and every candidate address in an SDP."""
    found = _IPV4.findall(sdp)
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            found.append(line.split()[4])
    return found


def non_loopback(addresses: list[str]) -> list[str]:
    """Addresses that are neither loopback nor the 0.0.0.0 placeholder aiortc writes in o=/rtcp."""
    bad = []
    for text in addresses:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            bad.append(text)  # a hostname (e.g. mDNS .local) is not loopback either
            continue
        if not (address.is_loopback or address.is_unspecified):
            bad.append(text)
    return bad


def _stun_protocols(peer: CallPeer) -> list[Any]:
    link = peer._link
    assert link is not None
    protocols: dict[int, Any] = {}
    for transceiver in link.pc.getTransceivers():
        connection = transceiver.receiver.transport.transport._connection
        for protocol in connection._protocols:
            protocols[id(protocol)] = protocol
    return list(protocols.values())


def kill_media_path(peer: CallPeer) -> int:
    """Close the UDP sockets under one side's current peer connection (no graceful close).

    Returns how many sockets were closed.
    """
    protocols = _stun_protocols(peer)
    for protocol in protocols:
        protocol.transport.close()
    return len(protocols)


def blackhole_media_path(peer: CallPeer) -> int:
    """Silently drop every packet one side's current peer connection sends, like a dead link."""
    protocols = _stun_protocols(peer)
    for protocol in protocols:
        protocol.transport.sendto = lambda *_args, **_kw: None
    return len(protocols)
