"""Media sources: the face camera (synthetic, file, V4L2) and an optional microphone. No Qt here."""

from __future__ import annotations

from shared.media.audio import (
    AlsaAudioSource,
    AudioSource,
    AudioSourceError,
    SilenceAudioSource,
    open_audio_source,
)
from shared.media.base import LatestFrameTrack, VideoSource, VideoSourceError
from shared.media.config import AudioSourceConfig, VideoSourceConfig
from shared.media.opencv import OpenCvVideoSource
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
    "AudioSource",
    "AudioSourceConfig",
    "AudioSourceError",
    "LatestFrameTrack",
    "OpenCvVideoSource",
    "SilenceAudioSource",
    "SyntheticVideoSource",
    "VideoSource",
    "VideoSourceConfig",
    "VideoSourceError",
    "open_audio_source",
    "open_video_source",
    "set_label_renderer",
]
