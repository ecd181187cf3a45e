"""Optional microphone: ALSA capture through PyAV, or silence; none unless configured."""

from __future__ import annotations

import asyncio
import logging
import os
from abc import ABC, abstractmethod
from typing import Any

from aiortc.contrib.media import MediaPlayer, MediaRelay
from aiortc.mediastreams import AudioStreamTrack, MediaStreamTrack

from shared.media.config import AudioSourceConfig

log = logging.getLogger(__name__)

_ALSA_CONF = "/usr/share/alsa/alsa.conf"


class AudioSourceError(Exception):
    """The microphone could not be opened; the message says why."""


class AudioSource(ABC):
    """A microphone that outlives peer connections; each call gets its own track."""

    @abstractmethod
    async def start(self) -> None:
        """Open the device."""

    @abstractmethod
    async def stop(self) -> None:
        """Release the device; safe to call more than once."""

    @abstractmethod
    def create_track(self) -> MediaStreamTrack:
        """A fresh audio track for a new peer connection."""


class SilenceAudioSource(AudioSource):
    """Sends silence: lets demos and tests carry an audio stream without a sound card."""

    async def start(self) -> None:
        """Nothing to open."""

    async def stop(self) -> None:
        """Nothing to release."""

    def create_track(self) -> MediaStreamTrack:
        """A track of silent 20 ms frames."""
        return AudioStreamTrack()


class AlsaAudioSource(AudioSource):
    """Captures an ALSA device with PyAV (aiortc's MediaPlayer) and fans it out unbuffered.

    MediaPlayer queues decoded frames without bound, so each peer connection subscribes
    through a MediaRelay with `buffered=False` and only ever gets the newest audio.
    """

    def __init__(self, config: AudioSourceConfig) -> None:
        self.config = config
        self._player: Any = None
        self._relay: Any = None

    async def start(self) -> None:
        """Open the ALSA device; raises AudioSourceError when it cannot be opened."""
        if self._player is not None:
            return
        device = self.config.device or "default"
        try:
            self._player = await asyncio.get_running_loop().run_in_executor(
                None, self._open_player, device
            )
        except Exception as exc:
            raise AudioSourceError(f"cannot open ALSA device {device}: {exc}") from exc
        if self._player.audio is None:
            self._player = None
            raise AudioSourceError(f"ALSA device {device} has no audio stream")
        self._relay = MediaRelay()

    def _open_player(self, device: str) -> Any:
        # The PyAV wheel's ALSA looks for its config in a build path; point it at the system's.
        if os.path.exists(_ALSA_CONF):
            os.environ.setdefault("ALSA_CONFIG_PATH", _ALSA_CONF)
        options = {
            "channels": str(self.config.channels),
            "sample_rate": str(self.config.sample_rate),
        }
        return MediaPlayer(device, format="alsa", options=options)

    async def stop(self) -> None:
        """Stop capturing."""
        if self._player is not None and self._player.audio is not None:
            self._player.audio.stop()
        self._player = None
        self._relay = None

    def create_track(self) -> MediaStreamTrack:
        """A latest-only view of the microphone for one peer connection."""
        if self._player is None or self._relay is None:
            raise AudioSourceError("the microphone is not started")
        track: MediaStreamTrack = self._relay.subscribe(self._player.audio, buffered=False)
        return track


def open_audio_source(config: AudioSourceConfig | None) -> AudioSource | None:
    """The microphone the config asks for, or None when audio is off or no device is set."""
    if config is None or config.kind == "none":
        return None
    if config.kind == "silence":
        return SilenceAudioSource()
    if not config.device:
        log.info("audio kind alsa without a device: audio off")
        return None
    return AlsaAudioSource(config)
