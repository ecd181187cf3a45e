"""Validation of an uploaded page image: type by magic bytes, size and pixel limits, re-encoding.

Order matters, cheapest and safest first: the byte size, then the type from the
first bytes (JPEG or PNG only, whatever the client says), then the dimensions
read from the header (a PNG or JPEG claiming 30000 x 30000, or whose channels and bit
depth would decode to more than `MAX_DECODED_BYTES`, is refused before a single pixel
is decoded: decompression bombs), then a check that the file is
complete (libjpeg fills a truncated JPEG with grey and calls it a success),
and only then the decode. What is stored is our own re-encoding, never the
client's bytes, so nothing hidden in the original file survives.
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass

import cv2
import numpy as np

from shared.imaging.jpeg_strips import decode_jpeg_strips, encode_jpeg_strips

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
"""An A4 page from a 16 MP document camera is 2-6 MB as JPEG; PNG may be larger."""

MAX_PIXELS = 50_000_000
"""More than any document camera delivers (16 MP is 4608 x 3456)."""

MAX_SIDE = 20_000

MAX_DECODED_BYTES = 100_000_000
"""What decoding may cost: width x height x channels x bytes per sample, by the header.

A 16-bit PNG decodes at twice the bytes of an 8-bit one with the same pixels (7000 x 7000
x 3 x 2 is 294 MB from a 286 KB file); a 16 MP colour page at 8 bits is 48 MB."""

STORE_QUALITY = 85
"""The kiosk encodes at 85 too: a higher quality here only bloats the stored copy."""
THUMB_WIDTH = 320
THUMB_MAX_B64 = 32 * 1024

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"IEND\xaeB`\x82"
# Start-of-frame markers carry the dimensions; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


class InvalidImage(ValueError):
    """The upload is not an acceptable page image; `reason` is a code the UIs translate.

    Reasons: `empty`, `too_large`, `not_an_image`, `truncated`, `too_many_pixels`,
    `undecodable`.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ImageHeader:
    """What the header says: `kind` ("jpeg" | "png") and the claimed size."""

    kind: str
    width: int
    height: int
    channels: int = 3
    """Samples per pixel once decoded (a palette PNG expands to 3)."""
    bits: int = 8
    """Bits per sample."""

    @property
    def decoded_bytes(self) -> int:
        """The bytes a full decode of this image holds (at least three 8-bit channels)."""
        return self.width * self.height * max(self.channels, 3) * max(1, (self.bits + 7) // 8)


@dataclass(frozen=True)
class CheckedPage:
    """A validated page: our re-encoded JPEG, its size and a small JPEG thumbnail."""

    jpeg: bytes
    width: int
    height: int
    thumbnail: bytes

    @property
    def thumbnail_b64(self) -> str:
        """The thumbnail as base64 text (fits `MaterialAdded`)."""
        return base64.b64encode(self.thumbnail).decode("ascii")


def _jpeg_header(data: bytes) -> ImageHeader:
    pos = 2
    n = len(data)
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            raise InvalidImage("not_an_image", "JPEG marker expected")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01,) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, or scan data before any frame header
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if length < 2:
            raise InvalidImage("not_an_image", "bad JPEG segment length")
        if marker in _SOF_MARKERS:
            if pos + 9 > n:
                break
            bits = data[pos + 4]
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            channels = data[pos + 9] if pos + 9 < n else 3
            return ImageHeader("jpeg", width, height, channels, bits)
        pos += 2 + length
    raise InvalidImage("truncated", "no JPEG frame header")


def _png_header(data: bytes) -> ImageHeader:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise InvalidImage("truncated", "no PNG header")
    width, height = struct.unpack(">II", data[16:24])
    bits = data[24] if len(data) > 24 else 8
    color_type = data[25] if len(data) > 25 else 2
    # Grey, (palette), RGB, grey + alpha, RGBA (PNG colour types 0, 3, 2, 4, 6).
    channels = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}.get(color_type, 4)
    return ImageHeader("png", width, height, channels, bits)


def read_header(data: bytes) -> ImageHeader:
    """The type (by magic bytes) and claimed size; raises `InvalidImage`."""
    if not data:
        raise InvalidImage("empty", "empty upload")
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg_header(data)
    if data.startswith(_PNG_MAGIC):
        return _png_header(data)
    raise InvalidImage("not_an_image", "only JPEG and PNG pages are accepted")


def _complete(data: bytes, kind: str) -> bool:
    # Cameras sometimes pad a JPEG after its end marker with zeros.
    tail = data.rstrip(b"\x00") if kind == "jpeg" else data
    return tail.endswith(b"\xff\xd9") if kind == "jpeg" else tail.endswith(_PNG_END)


def _encode(image: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - a decoded uint8 image always encodes
        raise InvalidImage("undecodable", "could not re-encode the page")
    return bytes(buf.tobytes())


def thumbnail(image: np.ndarray, width: int = THUMB_WIDTH, max_b64: int = THUMB_MAX_B64) -> bytes:
    """A small JPEG of a BGR image whose base64 fits in `max_b64` characters."""
    h, w = image.shape[:2]
    # A bilinear step to twice the thumbnail's size, then an area step: one area resize
    # from a whole page costs ten times more (it was most of a page's hub time).
    if w > 4 * width:
        h, w = max(2, round(h * 2 * width / w)), 2 * width
        image = cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR)
    scale = min(1.0, width / max(1, w))
    small = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA)  # fmt: skip
    for quality in (75, 60, 45, 30, 20):
        data = _encode(small, quality)
        if len(data) * 4 / 3 + 4 <= max_b64:
            return data
    # Still too big (a very tall page): halve it until it fits.
    return thumbnail(small, max(16, width // 2), max_b64)


def check_page_image(
    data: bytes, max_bytes: int = MAX_UPLOAD_BYTES, max_pixels: int = MAX_PIXELS
) -> CheckedPage:
    """Validate, decode and re-encode an uploaded page; raises `InvalidImage`.

    CPU-bound (the decode of a 12 MP JPEG takes ~100 ms): run it off the event loop.
    """
    if len(data) > max_bytes:
        raise InvalidImage("too_large", f"upload over {max_bytes} bytes")
    header = read_header(data)
    if header.width < 1 or header.height < 1:
        raise InvalidImage("not_an_image", "image has no pixels")
    if (
        header.width > MAX_SIDE
        or header.height > MAX_SIDE
        or header.width * header.height > max_pixels
    ):
        raise InvalidImage(
            "too_many_pixels", f"{header.width}x{header.height} is over {max_pixels} pixels"
        )
    if header.decoded_bytes > MAX_DECODED_BYTES:
        raise InvalidImage(
            "too_many_pixels",
            f"{header.width}x{header.height}, {header.channels} x {header.bits}-bit samples "
            f"would decode to over {MAX_DECODED_BYTES} bytes",
        )
    if not _complete(data, header.kind):
        raise InvalidImage("truncated", f"the {header.kind.upper()} file is incomplete")
    # The kiosk's pages carry a restart marker per MCU row: decoded in parts on several
    # cores; any other file whole.
    image = decode_jpeg_strips(data) if header.kind == "jpeg" else None
    if image is None:
        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise InvalidImage("undecodable", f"the {header.kind.upper()} data cannot be decoded")
    h, w = image.shape[:2]
    if (w, h) != (header.width, header.height):
        raise InvalidImage("undecodable", "decoded size differs from the header")
    # The re-encoding in bands on every core (OpenCV releases the GIL), then the thumbnail.
    return CheckedPage(encode_jpeg_strips(image, STORE_QUALITY), w, h, thumbnail(image))
