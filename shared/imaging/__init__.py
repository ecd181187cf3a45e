"""The page pipeline (no Qt): find the page, correct it, check it, encode it.

- `find_page(image) -> Corners | None`: the page's four corners, clockwise from top-left.
- `correct_page(image, corners, mode)`: perspective warp at full resolution, deskew,
  shadow flattening; `PageMode` colour / grey / black-and-white.
- `sharpness`, `SharpnessTracker` (per-device calibration), `check_page -> PageCheck`
  with `PageProblem` reasons (no_page, cut_off, glare, blurred), `AutoCapture`.
- `correct_page_jpeg`: the same page straight to JPEG, made in bands on several cores.
- `encode_jpeg`, `decode_image`; `jpeg_strips` codes large JPEGs on several cores.

Images are numpy uint8 arrays, RGB (H x W x 3) like the rest of the media code, or grey.
"""

from shared.imaging.codec import ImageDecodeError, decode_image, encode_jpeg
from shared.imaging.correct import (
    PageMode,
    correct_page,
    correct_page_jpeg,
    estimate_skew,
    hough_segments,
)
from shared.imaging.geometry import Corners, find_page, order_corners
from shared.imaging.quality import (
    AutoCapture,
    PageCheck,
    PageProblem,
    SharpnessTracker,
    check_page,
    sharpness,
)

__all__ = [
    "AutoCapture",
    "Corners",
    "ImageDecodeError",
    "PageCheck",
    "PageMode",
    "PageProblem",
    "SharpnessTracker",
    "check_page",
    "correct_page",
    "correct_page_jpeg",
    "decode_image",
    "encode_jpeg",
    "estimate_skew",
    "find_page",
    "hough_segments",
    "order_corners",
    "sharpness",
]
