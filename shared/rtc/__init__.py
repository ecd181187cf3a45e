"""WebRTC plumbing for calls between a kiosk and a console (aiortc; no Qt here)."""

from __future__ import annotations

from shared.rtc.loopback import disable_loopback_mode, enable_loopback_mode, loopback_address
from shared.rtc.peer import CONTROL_CHANNEL, CallPeer, CallTimings, TrackSource, rtc_configuration
from shared.rtc.signaling import CallSignaling, MemorySignaling, memory_signaling_pair
from shared.rtc.sink import FrameSink

__all__ = [
    "CONTROL_CHANNEL",
    "CallPeer",
    "CallSignaling",
    "CallTimings",
    "FrameSink",
    "MemorySignaling",
    "TrackSource",
    "disable_loopback_mode",
    "enable_loopback_mode",
    "loopback_address",
    "memory_signaling_pair",
    "rtc_configuration",
]
