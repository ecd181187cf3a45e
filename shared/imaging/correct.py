"""Turning a photographed page into a flat, straight scan: warp, deskew, flatten, mode.

The perspective warp and the deskew rotation are composed into one transform, so the
full-resolution image is resampled once, straight to the output size (capped at A4 at
300 dpi). The skew is measured on a small warp of the page (median angle of the
strongest near-horizontal Hough lines through text lines and rules; a standard Hough
transform limited to +-15 degrees, which is several times cheaper than a probabilistic
one over all angles). Shadows and lighting falloff are removed by dividing by a heavily
blurred closing of the grey page estimated at low resolution (the paper's brightness
without the ink), which makes Otsu reliable for black-and-white.

The work is split for the cores: `plan_page` measures the skew and the paper at once
on two small warps, and `render_rows` makes any band of the page from the plan, so
`correct_page_jpeg` warps, flattens and encodes the bands at once
(`shared.imaging.jpeg_strips`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np

from shared.imaging.geometry import Corners, to_grey
from shared.imaging.jpeg_strips import encode_jpeg_strips, encode_strips
from shared.imaging.parallel import run_pair

SKEW_WIDTH = 512
"""Width of the small warp the skew is measured on (text lines stay long enough to vote)."""

SKEW_WORK_WIDTH = 512
"""`estimate_skew` works at most this wide: text lines stay long, the Hough stays cheap."""

SKEW_LINES = 40
"""The strongest this many Hough lines vote on the angle."""

MAX_PAGE_SIDE = 3508
"""The corrected page is at most this long (A4 at 300 dpi): more pixels add no legibility."""

MAX_SKEW_DEGREES = 15.0
"""Lines steeper than this are not text lines (columns, box sides) and do not vote."""

MIN_SKEW_DEGREES = 0.05
"""Below this a rotation would only soften the image."""

BACKGROUND_WIDTH = 320
"""Width at which the paper's background brightness is estimated (it varies slowly)."""

BACKGROUND_OVERSAMPLE = 2
"""The small warp for the background is this many times wider, then area-averaged down (four
samples a pixel): single samples would carry the camera noise into the closing (a max filter)
and bias it."""


class PageMode(StrEnum):
    """Output of `correct_page`: RGB colour, 8-bit grey, or black-and-white (0/255)."""

    COLOUR = "colour"
    GREY = "grey"
    BW = "bw"


@dataclass(frozen=True)
class PagePlan:
    """How a page is resampled from its frame, worked out once on small images.

    `homography` maps frame pixels to page pixels (perspective and deskew composed);
    `source` is the frame (RGB for colour, grey otherwise) and `background` the
    paper's brightness at the page's full size, or None without flattening.
    `render_rows` makes any band of the page from it, so bands can be made on
    several cores.
    """

    source: np.ndarray
    homography: np.ndarray
    size: tuple[int, int]
    mode: PageMode
    background: np.ndarray | None


def plan_page(
    image: np.ndarray,
    corners: Corners,
    mode: PageMode | str = PageMode.COLOUR,
    *,
    deskew: bool = True,
    flatten: bool = True,
    grey: np.ndarray | None = None,
) -> PagePlan:
    """The plan for `correct_page` (same arguments); raises ValueError like it."""
    mode = PageMode(mode)
    src = corners.as_array()
    tl, tr, br, bl = src.astype(np.float64)
    width = round(max(np.hypot(*(tr - tl)), np.hypot(*(br - bl))))
    height = round(max(np.hypot(*(bl - tl)), np.hypot(*(br - tr))))
    if width < 16 or height < 16:
        raise ValueError(f"page quad too small to correct ({width}x{height} px)")
    # A huge frame would give a page with more pixels than a 300 dpi scan: warp it
    # straight to the capped size (one resampling, no resize afterwards).
    cap = min(1.0, MAX_PAGE_SIDE / max(width, height))
    width, height = max(16, round(width * cap)), max(16, round(height * cap))
    dst = np.array(
        [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32
    )
    homography = cv2.getPerspectiveTransform(src, dst)
    if grey is None or grey.shape[:2] != image.shape[:2]:
        grey = to_grey(image)
    size = (width, height)

    def skew() -> float:
        return estimate_skew(_small_warp(grey, homography, size, SKEW_WIDTH)) if deskew else 0.0

    def paper() -> np.ndarray | None:
        # The paper's brightness, estimated on a small warp of the frame (not on the big
        # page: no full-size grey copy and no full-size downscale).
        if not flatten:
            return None
        small = _small_warp(grey, homography, size, BACKGROUND_OVERSAMPLE * BACKGROUND_WIDTH)
        small = cv2.resize(
            small,
            (
                max(8, round(small.shape[1] / BACKGROUND_OVERSAMPLE)),
                max(8, round(small.shape[0] / BACKGROUND_OVERSAMPLE)),
            ),
            interpolation=cv2.INTER_AREA,
        )
        return _smooth_paper(small)

    # The skew and the paper are measured at once on two small warps of the page as
    # found; the deskew rotation then turns both the page and the (smooth) small paper.
    angle, paper_small = run_pair(skew, paper)
    if abs(angle) >= MIN_SKEW_DEGREES:
        rotation = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), angle, 1.0)
        homography = np.vstack([rotation, [0.0, 0.0, 1.0]]) @ homography
        if paper_small is not None:
            paper_small = _rotated(paper_small, angle)
    background = (
        None
        if paper_small is None
        else cv2.resize(paper_small, size, interpolation=cv2.INTER_LINEAR)
    )
    source = image if mode is PageMode.COLOUR else grey
    return PagePlan(source, homography, (width, height), mode, background)


def render_rows(plan: PagePlan, y0: int, y1: int, *, bgr: bool = False) -> np.ndarray:
    """Rows `y0:y1` of the corrected page, flattened but not thresholded.

    Colour pages come as RGB, or BGR with `bgr=True` (what the JPEG encoder takes,
    without another pass to swap channels); grey and black-and-white pages as grey.
    """
    width, _height = plan.size
    # The band's own homography: the page's, moved up by y0.
    homography = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, -y0], [0.0, 0.0, 1.0]]) @ plan.homography
    # Only the band's bounding box in the frame (plus a margin for the bilinear taps) is
    # read by the warp: work on that view, shifting the homography by its origin.
    x0, sy0, x1, sy1 = _source_box(homography, (width, y1 - y0), plan.source.shape[:2])
    source = plan.source[sy0:sy1, x0:x1]
    box_homography = homography @ np.array([[1.0, 0.0, x0], [0.0, 1.0, sy0], [0.0, 0.0, 1.0]])
    colour = source.ndim == 3 and source.shape[2] == 3
    if colour:
        # OpenCV's bilinear warp has vector code for 1 and 4 channels, not 3: padding to
        # RGBA first (a few ms) halves the page's biggest cost, with identical pixels.
        source = cv2.cvtColor(source, cv2.COLOR_RGB2RGBA)
    band = cv2.warpPerspective(
        source,
        box_homography,
        (width, y1 - y0),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    if colour:
        band = cv2.cvtColor(band, cv2.COLOR_RGBA2BGR if bgr else cv2.COLOR_RGBA2RGB)
    if plan.background is None:
        return band
    background = plan.background[y0:y1]
    if colour:  # one background for all channels keeps the hues
        background = cv2.cvtColor(background, cv2.COLOR_GRAY2RGB)
    return cv2.divide(band, background, scale=255)


def correct_page(
    image: np.ndarray,
    corners: Corners,
    mode: PageMode | str = PageMode.COLOUR,
    *,
    deskew: bool = True,
    flatten: bool = True,
    grey: np.ndarray | None = None,
) -> np.ndarray:
    """The page inside `corners`, warped flat at full resolution, deskewed and flattened.

    `image` is RGB (H x W x 3) or grey; `grey` may pass its grey version when the
    caller has it already (`find_page` made one). Returns RGB for colour mode and a 2-D
    uint8 array for grey and black-and-white. Raises ValueError for an unknown mode or
    a degenerate quad.
    """
    plan = plan_page(image, corners, mode, deskew=deskew, flatten=flatten, grey=grey)
    page = render_rows(plan, 0, plan.size[1])
    return _threshold(page) if plan.mode is PageMode.BW else page


def correct_page_jpeg(
    image: np.ndarray,
    corners: Corners,
    mode: PageMode | str = PageMode.COLOUR,
    quality: int = 85,
    *,
    grey: np.ndarray | None = None,
) -> bytes:
    """`correct_page` (deskewed, flattened) as JPEG bytes, made in bands on several cores.

    The bands are warped, flattened and encoded at once and joined by restart markers
    (`shared.imaging.jpeg_strips`). Black-and-white needs the whole page's histogram for
    its threshold, so only its encoding is split.
    """
    if not 1 <= quality <= 100:
        raise ValueError(f"JPEG quality must be 1..100, got {quality}")
    plan = plan_page(image, corners, mode, grey=grey)
    if plan.mode is PageMode.BW:
        return encode_jpeg_strips(_threshold(render_rows(plan, 0, plan.size[1])), quality)
    return encode_strips(
        lambda y0, y1: render_rows(plan, y0, y1, bgr=True),
        plan.size,
        quality,
        grey=plan.mode is PageMode.GREY,
    )


def _threshold(page: np.ndarray) -> np.ndarray:
    _, bw = cv2.threshold(page, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return bw


def _rotated(small: np.ndarray, angle: float) -> np.ndarray:
    """A small page turned by `angle` degrees about its centre, edges repeated."""
    h, w = small.shape[:2]
    rotation = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1.0)
    return cv2.warpAffine(small, rotation, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)  # fmt: skip


def _source_box(
    homography: np.ndarray, size: tuple[int, int], shape: tuple[int, ...]
) -> tuple[int, int, int, int]:
    """The frame's pixels the page warp reads: `(x0, y0, x1, y1)`, clipped to the frame."""
    width, height = size
    page_corners = np.array(
        [[[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]], dtype=np.float64
    )
    back = cv2.perspectiveTransform(page_corners, np.linalg.inv(homography))[0]
    frame_h, frame_w = shape[0], shape[1]
    x0 = max(0, int(np.floor(back[:, 0].min())) - 2)
    y0 = max(0, int(np.floor(back[:, 1].min())) - 2)
    x1 = min(frame_w, int(np.ceil(back[:, 0].max())) + 3)
    y1 = min(frame_h, int(np.ceil(back[:, 1].max())) + 3)
    return x0, y0, x1, y1


def _small_warp(
    grey: np.ndarray, homography: np.ndarray, size: tuple[int, int], max_width: int
) -> np.ndarray:
    """The page warped from the frame's grey at most `max_width` wide (one resampling)."""
    width, height = size
    scale = min(1.0, max_width / width)
    shrink = np.diag([scale, scale, 1.0])
    return cv2.warpPerspective(
        grey,
        shrink @ homography,
        (max(16, round(width * scale)), max(16, round(height * scale))),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


def hough_segments(lines: np.ndarray | None) -> np.ndarray:
    """HoughLinesP output as an (N, 4) array of x1, y1, x2, y2.

    OpenCV 4.x returns shape (N, 1, 4) and OpenCV 5 returns (N, 4); None means no lines.
    """
    if lines is None:
        return np.empty((0, 4), dtype=np.float64)
    return np.asarray(lines, dtype=np.float64).reshape(-1, 4)


def estimate_skew(grey: np.ndarray) -> float:
    """The angle of the page's text lines and rules in degrees (positive: sloping down to the
    right on screen); 0.0 when too few long lines are found to tell."""
    grey = to_grey(grey)
    h, w = grey.shape
    if w > SKEW_WORK_WIDTH:
        h = max(16, round(h * SKEW_WORK_WIDTH / w))
        w = SKEW_WORK_WIDTH
        grey = cv2.resize(grey, (w, h), interpolation=cv2.INTER_AREA)
    ink = cv2.adaptiveThreshold(
        grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15
    )
    # Smear characters sideways so each text line becomes one long band with straight edges.
    smear = max(9, w // 60)
    bands = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (smear, 1)))
    edges = cv2.Canny(bands, 50, 150)
    # Only near-horizontal normals are accumulated (theta = 90 deg is a horizontal line):
    # steeper lines (columns, box sides) cannot vote, and the transform costs a sixth.
    span = math.radians(MAX_SKEW_DEGREES)
    lines = cv2.HoughLines(
        edges,
        1,
        math.pi / 720,
        threshold=max(40, w // 5),
        min_theta=math.pi / 2 - span,
        max_theta=math.pi / 2 + span,
    )
    if lines is None:
        return 0.0
    # Sorted by votes, strongest first; a line's slope on screen is its normal minus 90 deg.
    thetas = np.asarray(lines, dtype=np.float64).reshape(-1, 2)[:SKEW_LINES, 1]
    if len(thetas) < 3:
        return 0.0
    return float(np.median(np.degrees(thetas) - 90.0))


def paper_background(grey: np.ndarray) -> np.ndarray:
    """The paper's brightness without the ink: a blurred closing, at the page's full size."""
    h, w = grey.shape
    scale = min(1.0, BACKGROUND_WIDTH / w)
    small = cv2.resize(
        grey, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    return _background_of(small, (w, h))


def _background_of(small: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The paper's brightness from a small grey page, scaled up to `size` (width, height)."""
    return cv2.resize(_smooth_paper(small), size, interpolation=cv2.INTER_LINEAR)


def _smooth_paper(small: np.ndarray) -> np.ndarray:
    """The paper's brightness at the small page's size: ink closed away, blurred, >= 1."""
    # The closing must be wider than a stroke so the ink disappears from the estimate.
    k = max(7, (min(small.shape) // 25) | 1)
    closed = cv2.morphologyEx(
        small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    )
    blurred = cv2.GaussianBlur(closed, (0, 0), sigmaX=k / 2)
    # Floored at 1 before scaling up: bilinear values stay within their neighbours' range,
    # so the full-size background never holds a 0 to divide by (and costs no extra pass).
    return np.maximum(blurred, 1)


def flatten_grey(grey: np.ndarray) -> np.ndarray:
    """A grey page with shadows and lighting falloff divided out (paper near 255)."""
    return cv2.divide(grey, paper_background(grey), scale=255)


def flatten_colour(rgb: np.ndarray) -> np.ndarray:
    """A colour page with shadows divided out; one background for all channels keeps hues."""
    background = paper_background(to_grey(rgb))
    return cv2.divide(rgb, cv2.cvtColor(background, cv2.COLOR_GRAY2RGB), scale=255)
