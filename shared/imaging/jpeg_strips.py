"""JPEG on several cores: an image coded as horizontal strips joined by restart markers.

libjpeg-turbo codes one image on one core. A baseline JPEG with one restart marker
per MCU row can be cut at any marker: the coded data after a marker depends on
nothing before it (each restart sets the DC predictions back to zero). So:

- **Encoding.** Each strip, a multiple of 8 MCU rows high so that the markers'
  numbers (0-7, cyclic) run on across strips, is rendered and encoded on its own
  core with one restart per MCU row. The strips' scans are joined under the first
  strip's headers with the frame height patched, a restart marker between them.
  The file is byte for byte what one encoder writes with the same restart
  interval (the tests check it), costing about 4 bytes per MCU row.
- **Decoding.** A JPEG with that layout (the kiosk's pages) is cut at markers
  near the strip boundaries, and each part is decoded as a JPEG of its own (the
  same headers, its own height), running one MCU row past its cut so that the
  smooth chroma upsampling sees both sides of it: the pixels are one decoder's
  (the tests check it). Any other JPEG (no restarts, progressive, odd intervals,
  markers out of order) is decoded whole: the split is an optimisation, never a
  second parser the file has to satisfy.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from shared.imaging.parallel import CORES, run_all

PARTS = CORES
"""Strips coded at once: one per core (`shared.imaging.parallel`)."""

ROWS_PER_GROUP = 8
"""Strip heights are multiples of this many MCU rows (the restart numbers' cycle)."""

_EOI = b"\xff\xd9"
_RST = re.compile(rb"\xff[\xd0-\xd7]")
# Inside a scan only stuffed bytes (FF 00), fill bytes (FF FF) and restarts may follow FF.
_OTHER_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_SEQUENTIAL_SOF = {0xC0, 0xC1}  # baseline and extended sequential, Huffman-coded


class StripLayoutError(ValueError):
    """Encoded strips that cannot be joined (a programming error, not bad input)."""


@dataclass(frozen=True)
class JpegLayout:
    """What the headers of a sequential JPEG say, as far as strips care.

    `scan_start` is where the coded data begins (right after the SOS segment);
    `sof_at` where the frame header's marker is; `restart_interval` is in MCUs
    (0: no restarts).
    """

    width: int
    height: int
    mcu_width: int
    mcu_height: int
    restart_interval: int
    sof_at: int
    scan_start: int

    @property
    def mcus_per_row(self) -> int:
        """MCUs across the image."""
        return math.ceil(self.width / self.mcu_width)

    @property
    def mcu_rows(self) -> int:
        """MCU rows down the image."""
        return math.ceil(self.height / self.mcu_height)


def read_layout(data: bytes) -> JpegLayout | None:
    """The layout of a single-scan sequential JPEG, or None for anything else."""
    if not data.startswith(b"\xff\xd8"):
        return None
    pos, n = 2, len(data)
    frame: tuple[int, int, int, int, int] | None = None  # sof_at, w, h, mcu_w, mcu_h
    components = 0
    interval = 0
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        if length < 2 or end > n:
            return None
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if marker not in _SEQUENTIAL_SOF or length < 8:
                return None
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            components = data[pos + 9]
            if length != 8 + 3 * components or not width or not height:
                return None
            factors = [data[pos + 11 + 3 * i] for i in range(components)]
            h_max = max(f >> 4 for f in factors)
            v_max = max(f & 0x0F for f in factors)
            frame = (pos, width, height, 8 * h_max, 8 * v_max)
        elif marker == 0xDD and length == 4:
            (interval,) = struct.unpack(">H", data[pos + 4 : pos + 6])
        elif marker == 0xDA:
            # Only an interleaved scan of every component codes the whole image at once.
            if frame is None or length < 3 or data[pos + 4] != components:
                return None
            sof_at, width, height, mcu_w, mcu_h = frame
            return JpegLayout(width, height, mcu_w, mcu_h, interval, sof_at, end)
        pos = end
    return None


def strip_rows(height: int, mcu_height: int, parts: int = PARTS) -> list[tuple[int, int]]:
    """Row ranges `[(y0, y1), ...]` covering `height`, each start a multiple of 8 MCU rows."""
    group = ROWS_PER_GROUP * mcu_height
    groups = math.ceil(height / group)
    parts = max(1, min(parts, groups))
    cuts = [round(i * groups / parts) * group for i in range(parts)] + [height]
    return [(cuts[i], cuts[i + 1]) for i in range(parts) if cuts[i] < cuts[i + 1]]


def _encode_strip(strip: np.ndarray, quality: int, mcu_size: int) -> bytes:
    params = [
        cv2.IMWRITE_JPEG_QUALITY,
        quality,
        cv2.IMWRITE_JPEG_RST_INTERVAL,
        math.ceil(strip.shape[1] / mcu_size),  # one restart per MCU row
    ]
    if strip.ndim == 3:
        params += [cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420]
    ok, buf = cv2.imencode(".jpg", strip, params)
    if not ok:
        raise ValueError(f"cannot encode an image of shape {strip.shape} as JPEG")
    return buf.tobytes()


def join_strips(encoded: list[bytes], height: int) -> bytes:
    """One JPEG from strips encoded by `encode_strips` (top first), `height` rows in all."""
    layouts = [read_layout(part) for part in encoded]
    first = layouts[0]
    if first is None or any(
        lay is None
        or lay.width != first.width
        or lay.mcu_height != first.mcu_height
        or lay.restart_interval != first.mcus_per_row
        for lay in layouts
    ):
        raise StripLayoutError("strips of different layouts cannot be joined")
    header = bytearray(encoded[0][: first.scan_start])
    header[first.sof_at + 5 : first.sof_at + 7] = struct.pack(">H", height)
    scans: list[bytes] = []
    for part, lay in zip(encoded, layouts, strict=True):
        assert lay is not None
        if lay is not layouts[-1] and lay.mcu_rows % ROWS_PER_GROUP:
            raise StripLayoutError("a strip above another must be a multiple of 8 MCU rows")
        if not part.endswith(_EOI):
            raise StripLayoutError("a strip does not end with its end-of-image marker")
        scans.append(part[lay.scan_start : -2])
    # The marker after a strip of 8k MCU rows is number 7: the next strip's run on from 0.
    return bytes(header) + b"\xff\xd7".join(scans) + _EOI


def encode_strips(
    render: Callable[[int, int], np.ndarray],
    size: tuple[int, int],
    quality: int = 85,
    *,
    grey: bool = False,
    parts: int = PARTS,
) -> bytes:
    """A JPEG of an image of `size` (width, height) whose rows `render(y0, y1)` returns.

    `render` gives BGR (or grey, with `grey=True`) uint8 rows; strips are rendered and
    encoded at once on up to `parts` cores (the calling thread does the first).
    """
    _width, height = size
    mcu = 8 if grey else 16
    bounds = strip_rows(height, mcu, parts)

    def job(y0: int, y1: int) -> Callable[[], bytes]:
        return lambda: _encode_strip(render(y0, y1), quality, mcu)

    return join_strips(run_all([job(y0, y1) for y0, y1 in bounds]), height)


def encode_jpeg_strips(image: np.ndarray, quality: int = 85, *, parts: int = PARTS) -> bytes:
    """JPEG bytes of a BGR (H x W x 3) or grey uint8 image, encoded on several cores."""
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise ValueError(f"expected a uint8 BGR or grey image, got {image.dtype} {image.shape}")
    h, w = image.shape[:2]
    return encode_strips(lambda y0, y1: image[y0:y1], (w, h), quality,
                         grey=image.ndim == 2, parts=parts)  # fmt: skip


def _split_points(data: bytes, layout: JpegLayout, parts: int) -> list[_Cut] | None:
    """Where to cut the scan into `parts`, or None when the file does not allow it."""
    interval = layout.restart_interval
    if not interval or interval % layout.mcus_per_row:
        return None
    rows_each = interval // layout.mcus_per_row
    intervals = math.ceil(layout.mcu_rows / rows_each)
    scan = memoryview(data)[layout.scan_start : len(data) - 2]
    markers = [layout.scan_start + m.start() for m in _RST.finditer(scan)]
    if len(markers) != intervals - 1 or _OTHER_MARKER.search(scan):
        return None
    if any(data[at + 1] != 0xD0 + i % 8 for i, at in enumerate(markers)):
        return None
    markers.append(len(data) - 2)  # the end of the last interval
    cuts: list[_Cut] = []
    for i in range(1, parts):
        # After a marker numbered 7, so the next part's markers run from 0 as its own.
        k = round(i * intervals / parts / ROWS_PER_GROUP) * ROWS_PER_GROUP
        if 0 < k < intervals and (not cuts or k > cuts[-1].interval):
            row = k * rows_each * layout.mcu_height
            cuts.append(_Cut(k, row, markers[k - 1], markers[k]))
    return cuts or None


@dataclass(frozen=True)
class _Cut:
    """A cut before restart interval `interval` (pixel row `row`): the marker ending the
    part above is at `marker`, and `overrun` ends the interval after it."""

    interval: int
    row: int
    marker: int
    overrun: int


def _part(data: bytes, layout: JpegLayout, start: int, end: int, height: int) -> bytes:
    header = bytearray(data[: layout.scan_start])
    header[layout.sof_at + 5 : layout.sof_at + 7] = struct.pack(">H", height)
    return bytes(header) + data[start:end] + _EOI


def decode_jpeg_strips(data: bytes, flags: int = cv2.IMREAD_COLOR, *, parts: int = PARTS) -> (
    np.ndarray | None
):  # fmt: skip
    """The image of a complete JPEG decoded in parts on several cores, the same pixels as
    one decoder's, or None when its layout does not allow it (decode it whole then).

    Each part but the last runs one MCU row past its cut, so the row at the cut is taken
    from the part above: the smooth chroma upsampling needs the rows on both sides.
    """
    if flags not in (cv2.IMREAD_COLOR, cv2.IMREAD_GRAYSCALE):
        raise ValueError("decode_jpeg_strips reads colour (BGR) or grey images only")
    colour = flags == cv2.IMREAD_COLOR
    layout = read_layout(data) if parts > 1 and data.endswith(_EOI) else None
    cuts = None if layout is None else _split_points(data, layout, parts)
    if layout is None or cuts is None:
        return None
    over = (layout.restart_interval // layout.mcus_per_row) * layout.mcu_height
    starts = [layout.scan_start] + [cut.marker + 2 for cut in cuts]
    ends = [cut.overrun for cut in cuts] + [len(data) - 2]
    tops = [0] + [cut.row for cut in cuts]
    heights = [min(cut.row + over, layout.height) - top
               for cut, top in zip(cuts, tops, strict=False)]  # fmt: skip
    heights.append(layout.height - tops[-1])
    chunks = [
        _part(data, layout, start, end, height)
        for start, end, height in zip(starts, ends, heights, strict=True)
    ]
    out = np.empty((layout.height, layout.width, 3)[: 3 if colour else 2], np.uint8)
    # Part i gives rows from just below its cut (i > 0) to the row at the next cut.
    bounds = [0] + [cut.row + 1 for cut in cuts] + [layout.height]

    def job(i: int) -> Callable[[], bool]:
        def decode() -> bool:
            image = cv2.imdecode(np.frombuffer(chunks[i], np.uint8), flags)
            if image is None or image.shape != (heights[i], *out.shape[1:]):
                return False
            top = tops[i]
            out[bounds[i] : bounds[i + 1]] = image[bounds[i] - top : bounds[i + 1] - top]
            return True

        return decode

    return out if all(run_all([job(i) for i in range(len(chunks))])) else None
