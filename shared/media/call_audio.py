"""A process's microphone and loudspeaker for calls, opened once from the `[audio]` config."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import av

from shared.config import AudioSinkConfig, AudioSourceConfig
from shared.media.audio import AudioSource, AudioSourceError, open_audio_source
from shared.media.playback import AudioSink, AudioSinkError, open_audio_sink

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0


@dataclass
class CallAudio:
    """The microphone (`source`) and loudspeaker (`sink`) every call of this process uses.

    Both are opened once at start-up and survive reconnects and successive calls: each
    peer connection gets a fresh track from `source`, and every remote audio frame goes
    to `sink.write` (pass `source` as CallPeer's `audio` and `on_frame` as its
    `on_audio_frame`). Either may be None: audio off, or a device that would not open.
    """

    source: AudioSource | None = None
    sink: AudioSink | None = None

    @classmethod
    async def open(cls, source: AudioSourceConfig, sink: AudioSinkConfig) -> CallAudio:
        """Open and start what the config asks for (pass `ClientConfig.audio_output` as `sink`).

        A device that fails is logged and left out: a call without sound still shows
        video, and the officer can still serve the resident. Never raises.
        """
        audio = cls()
        try:
            audio.source = open_audio_source(source)
            if audio.source is not None:
                await audio.source.start()
        except (AudioSourceError, OSError) as exc:
            log.error("microphone unavailable, calls go without it: %s", exc)
            audio.source = None
        try:
            audio.sink = open_audio_sink(sink)
            if audio.sink is not None:
                await audio.sink.start()
        except (AudioSinkError, OSError) as exc:
            log.error("audio output unavailable, the other side will not be heard: %s", exc)
            audio.sink = None
        return audio

    @property
    def on_frame(self) -> Callable[[av.AudioFrame], None] | None:
        """CallPeer's `on_audio_frame`: the sink's `write`, or None without a sink."""
        return self.sink.write if self.sink is not None else None

    async def stop(self) -> None:
        """Stop the microphone and close the output (a WAV file gets its header). Never raises."""
        for part, name in ((self.source, "microphone"), (self.sink, "audio output")):
            if part is None:
                continue
            try:
                await asyncio.wait_for(part.stop(), STOP_TIMEOUT_S)
            except Exception:
                log.exception("stopping the %s failed", name)
