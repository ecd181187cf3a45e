"""Typed settings of the document camera: the `[doccam]` section of the kiosk config."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SaneArgument = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[-A-Za-z0-9_.,:=/ +]+$")
]
"""One extra `scanimage` argument: passed as one argv item (never through a shell)."""


class DocumentCameraConfig(BaseModel):
    """Which document camera to use and how.

    - `backend="v4l2"`: the UVC camera at `path` (`/dev/video2` or an index); MJPG is
      chosen before the size; `width`/`height` 0 asks for the highest resolution offered.
    - `backend="file"`: the video file at `path`, played in a loop at `fps`.
    - `backend="images"`: an image sequence, `path` a printf pattern such as
      `/dir/frame_%03d.jpg` (OpenCV CAP_IMAGES), played in a loop.
    - `backend="simulated"`: synthetic pages that slide into place and settle (the demo);
      preview at `width` x `height`, stills at `still_width` x `still_height`.
    - `backend="sane"`: a flatbed scanner through SANE's `scanimage`; `path` is the SANE
      device name (`scanimage -L`; empty: the first one found), stills at `dpi`, the
      preview a scan at `preview_dpi`, each scan within `scan_timeout` seconds, and
      `sane_options` extra `scanimage` arguments (such as `--source`, `Flatbed`).
    """

    model_config = ConfigDict(extra="forbid")

    backend: Literal["simulated", "v4l2", "file", "images", "sane"] = "simulated"
    path: str | None = Field(default=None, max_length=4096)
    fps: int = Field(default=10, ge=1, le=60)
    width: int = Field(default=0, ge=0, le=10_000)
    height: int = Field(default=0, ge=0, le=10_000)
    still_width: int = Field(default=2560, ge=320, le=10_000)
    still_height: int = Field(default=1440, ge=240, le=10_000)
    seed: int = 0
    capture_timeout: float = Field(default=5.0, gt=0, le=60)
    dpi: int = Field(default=300, ge=50, le=1200)
    preview_dpi: int = Field(default=50, ge=10, le=300)
    scan_timeout: float = Field(default=60.0, gt=0, le=600)
    sane_options: list[SaneArgument] = Field(default_factory=list, max_length=32)
