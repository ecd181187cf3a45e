"""Turning a photographed page into a flat, straight scan: warp, deskew, flatten, mode.

The perspective warp and the deskew rotation are composed into one transform, so the
full-resolution image is resampled once. The skew is measured on a small warp of the
page (median angle of long Hough lines through text lines and rules). Shadows and
lighting falloff are removed by dividing by a heavily blurred closing of the grey page
(the paper's brightness without the ink), which makes Otsu reliable for black-and-white.
"""

from __future__ import annotations

import math
from enum import StrEnum

import cv2
import numpy as np

from shared.imaging.geometry import Corners, to_grey

SKEW_WIDTH = 1000
"""Width of the small warp the skew is measured on."""

MAX_SKEW_DEGREES = 15.0
"""Lines steeper than this are not text lines (columns, box sides) and do not vote."""

MIN_SKEW_DEGREES = 0.05
"""Below this a rotation would only soften the image."""

BACKGROUND_WIDTH = 600
"""Width at which the paper's background brightness is estimated (it varies slowly)."""


class PageMode(StrEnum):
    """Output of `correct_page`: RGB colour, 8-bit grey, or black-and-white (0/255)."""

    COLOUR = "colour"
    GREY = "grey"
    BW = "bw"


def correct_page(
    image: np.ndarray,
    corners: Corners,
    mode: PageMode | str = PageMode.COLOUR,
    *,
    deskew: bool = True,
    flatten: bool = True,
) -> np.ndarray:
    """The page inside `corners`, warped flat at full resolution, deskewed and flattened.

    `image` is RGB (H x W x 3) or grey. Returns RGB for colour mode and a 2-D uint8
    array for grey and black-and-white. Raises ValueError for an unknown mode or a
    degenerate quad.
    """
    mode = PageMode(mode)
    src = corners.as_array()
    tl, tr, br, bl = src.astype(np.float64)
    width = round(max(np.hypot(*(tr - tl)), np.hypot(*(br - bl))))
    height = round(max(np.hypot(*(bl - tl)), np.hypot(*(br - tr))))
    if width < 16 or height < 16:
        raise ValueError(f"page quad too small to correct ({width}x{height} px)")
    dst = np.array(
        [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32
    )
    homography = cv2.getPerspectiveTransform(src, dst)
    if deskew:
        angle = _skew_of_warp(image, homography, width, height)
        if abs(angle) >= MIN_SKEW_DEGREES:
            rotation = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), angle, 1.0)
            homography = np.vstack([rotation, [0.0, 0.0, 1.0]]) @ homography
    source = image if mode is PageMode.COLOUR else to_grey(image)
    page = cv2.warpPerspective(
        source, homography, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    if mode is PageMode.COLOUR:
        return flatten_colour(page) if flatten else page
    grey = flatten_grey(page) if flatten else page
    if mode is PageMode.GREY:
        return grey
    _, bw = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return bw


def _skew_of_warp(image: np.ndarray, homography: np.ndarray, width: int, height: int) -> float:
    scale = min(1.0, SKEW_WIDTH / width)
    size = (max(16, round(width * scale)), max(16, round(height * scale)))
    shrink = np.diag([scale, scale, 1.0])
    small = cv2.warpPerspective(
        to_grey(image),
        shrink @ homography,
        size,
        flags=cv2.INTER_AREA,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return estimate_skew(small)


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
    w = grey.shape[1]
    ink = cv2.adaptiveThreshold(
        grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15
    )
    # Smear characters sideways so each text line becomes one long band with straight edges.
    smear = max(9, w // 60)
    bands = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (smear, 1)))
    edges = cv2.Canny(bands, 50, 150)
    segments = hough_segments(
        cv2.HoughLinesP(
            edges,
            1,
            math.pi / 720,
            threshold=max(40, w // 10),
            minLineLength=max(40, w // 5),
            maxLineGap=max(5, w // 100),
        )
    )
    if len(segments) < 3:
        return 0.0
    dx = segments[:, 2] - segments[:, 0]
    dy = segments[:, 3] - segments[:, 1]
    angles = np.degrees(np.arctan2(dy, dx))
    angles = (angles + 90.0) % 180.0 - 90.0  # direction-free: a line and its reverse agree
    near = np.abs(angles) <= MAX_SKEW_DEGREES
    if int(near.sum()) < 3:
        return 0.0
    return float(np.median(angles[near]))


def paper_background(grey: np.ndarray) -> np.ndarray:
    """The paper's brightness without the ink: a blurred closing, at the page's full size."""
    h, w = grey.shape
    scale = min(1.0, BACKGROUND_WIDTH / w)
    small = cv2.resize(
        grey, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    # The closing must be wider than a stroke so the ink disappears from the estimate.
    k = max(7, (min(small.shape) // 25) | 1)
    closed = cv2.morphologyEx(
        small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    )
    blurred = cv2.GaussianBlur(closed, (0, 0), sigmaX=k / 2)
    background = cv2.resize(blurred, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.maximum(background, 1)


def flatten_grey(grey: np.ndarray) -> np.ndarray:
    """A grey page with shadows and lighting falloff divided out (paper near 255)."""
    return cv2.divide(grey, paper_background(grey), scale=255)


def flatten_colour(rgb: np.ndarray) -> np.ndarray:
    """A colour page with shadows divided out; one background for all channels keeps hues."""
    background = paper_background(to_grey(rgb))
    return cv2.divide(rgb, cv2.merge([background, background, background]), scale=255)
