"""Reading X window dumps (`xwd`) into RGB arrays, so tests can look at what an X server shows.

Only the format Xvfb and Xorg write for true-colour screens is read (ZPixmap, 24 or 32
bits per pixel, 8-bit channels); anything else is a clear error, never a wrong picture.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

_HEADER = struct.Struct(">25I")
_ZPIXMAP = 2
_LSB_FIRST = 0
_COLOR_ENTRY_SIZE = 12


class XwdError(ValueError):
    """A dump this reader does not understand."""


def read_xwd(data: bytes) -> npt.NDArray[np.uint8]:
    """The picture in an xwd dump as a height × width × 3 RGB array."""
    if len(data) < _HEADER.size:
        raise XwdError("xwd dump shorter than its header")
    fields = _HEADER.unpack_from(data)
    header_size, version, pixmap_format, _depth, width, height = fields[:6]
    byte_order, bits_per_pixel, bytes_per_line = fields[7], fields[11], fields[12]
    red_mask, green_mask, blue_mask = fields[14:17]
    ncolors = fields[19]
    if version != 7 or pixmap_format != _ZPIXMAP or bits_per_pixel not in (24, 32):
        raise XwdError(
            f"unsupported xwd dump (version {version}, format {pixmap_format}, "
            f"{bits_per_pixel} bits per pixel)"
        )
    offset = header_size + ncolors * _COLOR_ENTRY_SIZE
    size = bytes_per_line * height
    if len(data) < offset + size:
        raise XwdError("xwd dump truncated")
    rows = np.frombuffer(data, np.uint8, size, offset).reshape(height, bytes_per_line)
    step = bits_per_pixel // 8
    raw = rows[:, : width * step].reshape(height, width, step)
    if byte_order != _LSB_FIRST:
        raw = raw[:, :, ::-1]
    pixels = np.zeros((height, width), np.uint32)
    for i in range(step):
        pixels |= raw[:, :, i].astype(np.uint32) << (8 * i)
    return np.stack([_channel(pixels, mask) for mask in (red_mask, green_mask, blue_mask)], axis=-1)


def _channel(pixels: npt.NDArray[np.uint32], mask: int) -> npt.NDArray[np.uint8]:
    if mask == 0:
        raise XwdError("xwd dump without a colour mask")
    shift = (mask & -mask).bit_length() - 1
    return ((pixels & mask) >> shift).astype(np.uint8)


def save_png(rgb: npt.NDArray[np.uint8], path: Path) -> Path:
    """Write an RGB array as a PNG (for a person to look at); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb, "RGB").save(path)
    return path
