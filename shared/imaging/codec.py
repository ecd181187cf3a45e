"""JPEG encoding and safe decoding of page images."""

from __future__ import annotations

import cv2
import numpy as np

MAX_DECODE_PIXELS = 50_000_000
"""More pixels than any document camera delivers: a larger header is a decompression bomb."""


class ImageDecodeError(ValueError):
    """The bytes are not a readable image (or one too large to decode safely)."""


def encode_jpeg(image: np.ndarray, quality: int = 85) -> bytes:
    """JPEG bytes of an RGB (H x W x 3) or grey (H x W) uint8 image."""
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {image.dtype}")
    if not 1 <= quality <= 100:
        raise ValueError(f"JPEG quality must be 1..100, got {quality}")
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"cannot encode an image of shape {image.shape} as JPEG")
    return buf.tobytes()


def decode_image(data: bytes, max_pixels: int = MAX_DECODE_PIXELS) -> np.ndarray:
    """An RGB array from JPEG/PNG bytes; raises ImageDecodeError with the reason."""
    if not data:
        raise ImageDecodeError("empty image data")
    buf = np.frombuffer(data, dtype=np.uint8)
    header = cv2.imdecode(buf, cv2.IMREAD_REDUCED_GRAYSCALE_8)
    if header is None:
        raise ImageDecodeError("not a readable image (unknown type or truncated)")
    # The 1/8 preview bounds the full size without allocating it.
    if header.shape[0] * header.shape[1] * 64 > max_pixels:
        raise ImageDecodeError(f"image larger than {max_pixels} pixels")
    bgr = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if bgr is None:
        raise ImageDecodeError("not a readable image (unknown type or truncated)")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
