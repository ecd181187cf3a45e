"""Optional microphone: ALSA capture through PyAV, silence or a test tone; none by default."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from abc import ABC, abstractmethod
from fractions import Fraction
from typing import Any

import av
import numpy as np
from aiortc.contrib.media import MediaPlayer, MediaRelay
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack

from shared.media.config import AudioSourceConfig
from shared.media.system_alsa import use_system_alsa

log = logging.getLogger(__name__)

FRAME_SECONDS = 0.020
"""Audio travels in 20 ms frames, the Opus packet size aiortc sends."""
RESYNC_AFTER_S = 0.1
"""A tone track this far behind its clock skips ahead instead of bursting to catch up."""


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


class ToneAudioSource(AudioSource):
    """A sine of `config.frequency` Hz, paced like a microphone: 20 ms frames in real time.

    For the demo and the tests: the far side can check which tone it hears. Each peer
    connection gets its own track; `stop()` ends every track handed out.
    """

    def __init__(self, config: AudioSourceConfig) -> None:
        self.config = config
        self._tracks: list[ToneTrack] = []

    async def start(self) -> None:
        """Nothing to open."""

    async def stop(self) -> None:
        """End every track this source gave out."""
        for track in self._tracks:
            track.stop()
        self._tracks.clear()

    def create_track(self) -> MediaStreamTrack:
        """A fresh tone track for a new peer connection."""
        self._tracks = [t for t in self._tracks if t.readyState == "live"]
        track = ToneTrack(
            self.config.frequency,
            amplitude=self.config.amplitude,
            sample_rate=self.config.sample_rate,
            channels=self.config.channels,
        )
        self._tracks.append(track)
        return track


class ToneTrack(MediaStreamTrack):
    """An audio track of a continuous sine in s16 frames of 20 ms, paced by the wall clock.

    A real microphone delivers a frame every 20 ms whatever the consumer does; so does this
    track. If the consumer falls more than RESYNC_AFTER_S behind, the track skips ahead
    rather than sending a burst of old audio.
    """

    kind = "audio"

    def __init__(
        self,
        frequency: float,
        *,
        amplitude: float = 0.3,
        sample_rate: int = 48_000,
        channels: int = 1,
    ) -> None:
        super().__init__()
        self.frequency = frequency
        self._amplitude = amplitude
        self._rate = sample_rate
        self._channels = channels
        self._samples_per_frame = int(sample_rate * FRAME_SECONDS)
        self._time_base = Fraction(1, sample_rate)
        self._start: float | None = None
        self._sent = 0  # samples handed out so far: the next frame's pts
        self._skipped = 0  # samples skipped when the consumer fell behind

    async def recv(self) -> av.AudioFrame:
        """The next 20 ms of the tone, when its time has come."""
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._start is None:
            self._start = now
        else:
            due = self._start + (self._sent + self._skipped) / self._rate
            if now - due > RESYNC_AFTER_S:
                # Like a microphone whose buffer overran: the audio in between is gone.
                behind = int((now - due) * self._rate)
                self._skipped += behind - behind % self._samples_per_frame
                due = self._start + (self._sent + self._skipped) / self._rate
            await asyncio.sleep(max(0.0, due - now))
            if self.readyState != "live":
                raise MediaStreamError
        frame = self._frame(self._sent + self._skipped)
        frame.pts = self._sent
        self._sent += self._samples_per_frame
        return frame

    def _frame(self, first_sample: int) -> av.AudioFrame:
        n = self._samples_per_frame
        index = np.arange(first_sample, first_sample + n, dtype=np.int64)
        # Whole cycles dropped before taking the sine, so the phase stays precise for hours.
        cycles = index * (self.frequency / self._rate)
        phase = (cycles % 1.0) * (2.0 * math.pi)
        mono = (np.sin(phase) * (self._amplitude * 32767.0)).astype(np.int16)
        layout = "mono" if self._channels == 1 else "stereo"
        # Packed s16: channels interleaved in one plane.
        samples = np.repeat(mono, self._channels).reshape(1, n * self._channels)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout=layout)
        frame.sample_rate = self._rate
        frame.time_base = self._time_base
        return frame


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
        use_system_alsa()
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
    if config.kind == "tone":
        return ToneAudioSource(config)
    if not config.device:
        log.info("audio kind alsa without a device: audio off")
        return None
    return AlsaAudioSource(config)
