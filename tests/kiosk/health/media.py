"""Camera videos for the health tests (the file backends of the face and document cameras)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

SIZE = (960, 540)


def write_video(path: Path, frames: list[np.ndarray], fps: int = 10) -> Path:
    """An MJPG video of `frames` (RGB, resized to SIZE) for the file camera backends."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, SIZE)
    assert writer.isOpened()
    for image in frames:
        writer.write(cv2.cvtColor(cv2.resize(image, SIZE), cv2.COLOR_RGB2BGR))
    writer.release()
    return path
