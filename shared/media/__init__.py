"""Media: the face camera (synthetic, file, V4L2), an optional microphone and loudspeaker. No Qt."""

from __future__ import annotations

from shared.media.audio import (
    AlsaAudioSource,
    AudioSource,
    AudioSourceError,
    SilenceAudioSource,
    ToneAudioSource,
    open_audio_source,
)
from shared.media.base import LatestFrameTrack, VideoSource, VideoSourceError
from shared.media.call_audio import CallAudio
from shared.media.config import AudioSinkConfig, AudioSourceConfig, VideoSourceConfig
from shared.media.opencv import OpenCvVideoSource
from shared.media.playback import (
    AlsaSink,
    AudioSink,
    AudioSinkError,
    WavSink,
    open_audio_sink,
)
from shared.media.synthetic import SyntheticVideoSource, set_label_renderer


def open_video_source(config: VideoSourceConfig) -> VideoSource:
    """The video source the config asks for (not started yet: call `await source.start()`).

    Raises VideoSourceError for a file or camera source without a path.
    """
    if config.kind == "synthetic":
        return SyntheticVideoSource(config)
    return OpenCvVideoSource(config)


__all__ = [
    "AlsaAudioSource",
    "AlsaSink",
    "AudioSink",
    "AudioSinkConfig",
    "AudioSinkError",
    "AudioSource",
    "AudioSourceConfig",
    "AudioSourceError",
    "CallAudio",
    "LatestFrameTrack",
    "OpenCvVideoSource",
    "SilenceAudioSource",
    "SyntheticVideoSource",
    "ToneAudioSource",
    "VideoSource",
    "VideoSourceConfig",
    "VideoSourceError",
    "WavSink",
    "open_audio_sink",
    "open_audio_source",
    "open_video_source",
    "set_label_renderer",
]
