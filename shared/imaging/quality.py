"""Is this frame worth capturing? Page found, not cut off, no glare, sharp; and auto-capture.

Sharpness is the variance of the Laplacian of the page warped flat to a fixed width.
It depends on the camera, the lighting and the document, so it is judged against the
recent best of the same device (`SharpnessTracker`), with a calibrated baseline from
earlier captures as a floor for a camera that is out of focus all the time.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import cv2
import numpy as np

from shared.imaging.geometry import Corners, find_page, to_grey

SHARPNESS_WIDTH = 800
"""Width of the flat page sharpness and glare are measured on."""

ABSOLUTE_FLOOR = 20.0
"""Below this Laplacian variance (at SHARPNESS_WIDTH) no page is legible, whatever the device."""

GLARE_LEVEL = 250
"""Grey level from which a pixel counts as blown out."""

GLARE_AREA = 0.01
"""A blown-out blob larger than this share of the page hides text: glare."""

EDGE_MARGIN = 0.004
"""A corner within this share of the frame's shorter side from the edge: the page is cut off."""


class PageProblem(StrEnum):
    """Why a frame is not a good capture."""

    NO_PAGE = "no_page"
    CUT_OFF = "cut_off"
    GLARE = "glare"
    BLURRED = "blurred"


PROBLEM_TEXT = {
    PageProblem.NO_PAGE: "no page found in the frame",
    PageProblem.CUT_OFF: "the page touches the edge of the frame",
    PageProblem.GLARE: "glare hides part of the page",
    PageProblem.BLURRED: "the page is blurred",
}


@dataclass(frozen=True)
class PageCheck:
    """The verdict on one frame: the corners found (if any) and every problem seen."""

    corners: Corners | None
    problems: tuple[PageProblem, ...]
    sharpness: float = 0.0
    relative_sharpness: float | None = None
    glare_fraction: float = 0.0

    @property
    def ok(self) -> bool:
        """True when a page was found and nothing is wrong with it."""
        return not self.problems

    @property
    def reason(self) -> PageProblem | None:
        """The most important problem, or None when the frame is fine."""
        return self.problems[0] if self.problems else None

    @property
    def message(self) -> str:
        """The main problem in plain words ("" when fine); UI text comes from shared.i18n."""
        return PROBLEM_TEXT[self.problems[0]] if self.problems else ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "ok": self.ok,
            "reason": self.reason.value if self.reason else None,
            "problems": [p.value for p in self.problems],
            "message": self.message,
            "corners": self.corners.to_list() if self.corners else None,
            "sharpness": round(self.sharpness, 1),
            "relative_sharpness": (
                None if self.relative_sharpness is None else round(self.relative_sharpness, 3)
            ),
            "glare_fraction": round(self.glare_fraction, 4),
        }


def sharpness(page: np.ndarray, width: int = SHARPNESS_WIDTH) -> float:
    """Variance of the Laplacian of the page (RGB or grey) scaled to a fixed `width`."""
    grey = to_grey(page)
    h, w = grey.shape
    if w != width:
        interp = cv2.INTER_AREA if w > width else cv2.INTER_LINEAR
        grey = cv2.resize(grey, (width, max(1, round(h * width / w))), interpolation=interp)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


@dataclass
class SharpnessTracker:
    """Per-device sharpness calibration: compares a value with this device's recent best.

    `baseline` is the typical sharpness of accepted captures on this device (kept across
    runs with `to_dict`/`from_dict`); it stops a camera that is blurred all the time from
    calibrating itself to blur. A frame is blurred when it is below `ratio` of the
    reference (the best of the last `window` observations, or half the baseline if higher),
    or below the absolute floor.
    """

    ratio: float = 0.5
    window: int = 45
    baseline: float | None = None
    baseline_weight: float = 0.5
    floor: float = ABSOLUTE_FLOOR
    _recent: deque[float] = field(default_factory=deque, repr=False)

    def reference(self) -> float | None:
        """The value a new frame is compared with, or None before any observation."""
        candidates = list(self._recent)
        if self.baseline is not None:
            candidates.append(self.baseline * self.baseline_weight)
        return max(candidates) if candidates else None

    def relative(self, value: float) -> float | None:
        """`value` as a share of the reference (None when there is nothing to compare with)."""
        ref = self.reference()
        return None if ref is None or ref <= 0 else value / ref

    def is_blurred(self, value: float) -> bool:
        """True when `value` is well below this device's recent best or the floor."""
        if value < self.floor:
            return True
        rel = self.relative(value)
        return rel is not None and rel < self.ratio

    def observe(self, value: float) -> None:
        """Add a frame's sharpness to the recent window."""
        self._recent.append(value)
        while len(self._recent) > self.window:
            self._recent.popleft()

    def forget_recent(self) -> None:
        """Drop the recent window (the page was taken away; the next one may differ)."""
        self._recent.clear()

    def accept_capture(self, value: float, weight: float = 0.2) -> None:
        """Fold the sharpness of an accepted capture into the device's baseline."""
        self.baseline = (
            value if self.baseline is None else (1 - weight) * self.baseline + weight * value
        )

    def to_dict(self) -> dict[str, float | None]:
        """The calibration to keep between runs."""
        return {"baseline": self.baseline}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SharpnessTracker:
        """A tracker restored from `to_dict` output; unknown or bad values are ignored."""
        value = data.get("baseline")
        baseline = float(value) if isinstance(value, int | float) and value > 0 else None
        return cls(baseline=baseline)


def flat_thumbnail(image: np.ndarray, corners: Corners, width: int = SHARPNESS_WIDTH) -> np.ndarray:
    """The page warped flat straight to `width` (no deskew or flattening): cheap, for checks."""
    tl, tr, br, bl = corners.as_array().astype(np.float64)
    page_w = max(np.hypot(*(tr - tl)), np.hypot(*(br - bl)), 1.0)
    page_h = max(np.hypot(*(bl - tl)), np.hypot(*(br - tr)), 1.0)
    height = max(16, round(width * page_h / page_w))
    dst = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32)
    homography = cv2.getPerspectiveTransform(corners.as_array(), dst)
    return cv2.warpPerspective(to_grey(image), homography, (width, height), flags=cv2.INTER_AREA)


def glare_fraction(page_grey: np.ndarray) -> float:
    """The largest blown-out blob's share of the page (paper itself is rarely saturated)."""
    mask = (page_grey >= GLARE_LEVEL).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return 0.0
    largest = int(np.max(stats[1:, cv2.CC_STAT_AREA]))
    return largest / float(page_grey.size)


def touches_edge(corners: Corners, shape: tuple[int, ...], margin: float = EDGE_MARGIN) -> bool:
    """True when a corner lies on (or beyond) the frame's edge."""
    h, w = shape[:2]
    pad = max(2.0, margin * min(h, w))
    pts = corners.as_array()
    return bool(
        (pts[:, 0] <= pad).any()
        or (pts[:, 1] <= pad).any()
        or (pts[:, 0] >= w - 1 - pad).any()
        or (pts[:, 1] >= h - 1 - pad).any()
    )


def check_page(
    image: np.ndarray, tracker: SharpnessTracker | None = None, corners: Corners | None = None
) -> PageCheck:
    """Find the page in `image` (unless `corners` are given) and list what is wrong with it.

    With a tracker, blur is judged against the device's recent best and the value is
    added to its window; without one, only the absolute floor applies.
    """
    if corners is None:
        corners = find_page(image)
    if corners is None:
        return PageCheck(None, (PageProblem.NO_PAGE,))
    problems: list[PageProblem] = []
    if touches_edge(corners, image.shape):
        problems.append(PageProblem.CUT_OFF)
    thumb = flat_thumbnail(image, corners)
    glare = glare_fraction(thumb)
    if glare > GLARE_AREA:
        problems.append(PageProblem.GLARE)
    value = sharpness(thumb)
    relative = None
    if tracker is not None:
        blurred = tracker.is_blurred(value)
        relative = tracker.relative(value)
        tracker.observe(value)
    else:
        blurred = value < ABSOLUTE_FLOOR
    if blurred:
        problems.append(PageProblem.BLURRED)
    return PageCheck(corners, tuple(problems), value, relative, glare)


class AutoCapture:
    """Fires once when a page is found, steady for `steady_frames` frames, and fine.

    Steady means no corner moved more than `tolerance` of the frame diagonal from one
    frame to the next. After firing it stays quiet until the page is taken away or moved
    by more than `rearm_distance` of the diagonal, so one page gives one capture.
    """

    def __init__(
        self, steady_frames: int = 5, tolerance: float = 0.004, rearm_distance: float = 0.05
    ) -> None:
        self.steady_frames = steady_frames
        self.tolerance = tolerance
        self.rearm_distance = rearm_distance
        self._previous: Corners | None = None
        self._streak = 0
        self._fired_at: Corners | None = None

    @property
    def streak(self) -> int:
        """How many consecutive frames the page has been steady."""
        return self._streak

    @property
    def holding_last(self) -> bool:
        """True while the page last captured still lies where it was: no capture fires
        until it is moved or replaced."""
        return self._fired_at is not None

    def reset(self, *, keep_last: bool = False) -> None:
        """Forget everything (a new capture request); with `keep_last`, still stay quiet
        while the page last captured lies where it was."""
        self._previous = None
        self._streak = 0
        if not keep_last:
            self._fired_at = None

    def update(self, check: PageCheck, shape: tuple[int, ...]) -> bool:
        """Feed the check of the next frame (of this `shape`); True when a capture should fire."""
        corners = check.corners
        if corners is None:
            self._previous, self._streak, self._fired_at = None, 0, None
            return False
        diagonal = float(np.hypot(shape[0], shape[1]))
        if (
            self._previous is not None
            and corners.distance(self._previous) <= self.tolerance * diagonal
        ):
            self._streak += 1
        else:
            self._streak = 1
        self._previous = corners
        if self._fired_at is not None:
            if corners.distance(self._fired_at) <= self.rearm_distance * diagonal:
                return False
            self._fired_at = None
        if self._streak >= self.steady_frames and check.ok:
            self._fired_at = corners
            return True
        return False
