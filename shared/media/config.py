"""Typed settings of the face camera and microphone, as they appear in the app configs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# The audio settings live with the config loader, which must not load the media stack.
from shared.config import AudioSinkConfig, AudioSourceConfig

__all__ = ["AudioSinkConfig", "AudioSourceConfig", "VideoSourceConfig"]


class VideoSourceConfig(BaseModel):
    """The `[camera]` section of the kiosk and console configs.

    `kind="synthetic"` draws a moving pattern with a clock and `label`; `kind="file"` plays
    the video file at `path` in a loop; `kind="v4l2"` opens the camera at `path`
    (`/dev/video0` or an index such as `0`). Frames are paced at `fps` and delivered
    as `height` x `width` RGB.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["synthetic", "file", "v4l2"] = "synthetic"
    path: str | None = None
    width: int = Field(default=640, ge=16, le=3840)
    height: int = Field(default=480, ge=16, le=2160)
    fps: int = Field(default=15, ge=1, le=60)
    label: str = Field(default="", max_length=40)
