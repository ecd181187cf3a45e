"""Finding the page in a camera frame: four corners, clockwise from the top-left.

The quad is found on a downscaled copy (blur, Canny, close, the largest convex
four-point contour above a few percent of the frame), then each side is refined
at full resolution by locating the strongest edge across it and fitting a line,
so the corners are accurate to about a pixel whatever the frame size.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

DETECT_MAX_SIDE = 800
"""Longest side of the copy the quad is searched on: fast, and large enough to keep the page."""

MIN_AREA_FRACTION = 0.05
"""A quad smaller than this share of the frame is not taken for a page (a card, a stamp)."""


@dataclass(frozen=True)
class Corners:
    """The page's four corners in the input's pixel coordinates, clockwise from the top-left."""

    top_left: tuple[float, float]
    top_right: tuple[float, float]
    bottom_right: tuple[float, float]
    bottom_left: tuple[float, float]

    @classmethod
    def from_points(cls, points: np.ndarray | list[list[float]]) -> Corners:
        """Corners from four (x, y) points in any order (they are put in clockwise order)."""
        pts = order_corners(np.asarray(points, dtype=np.float64).reshape(4, 2))
        tl, tr, br, bl = (tuple(float(v) for v in p) for p in pts)
        return cls(tl, tr, br, bl)  # type: ignore[arg-type]

    @classmethod
    def full_frame(cls, shape: tuple[int, ...]) -> Corners:
        """The corners of a whole image of this shape (for pages that need no crop)."""
        h, w = shape[:2]
        return cls((0.0, 0.0), (w - 1.0, 0.0), (w - 1.0, h - 1.0), (0.0, h - 1.0))

    def as_array(self) -> np.ndarray:
        """The corners as a float32 (4, 2) array, in clockwise order from the top-left."""
        return np.array(
            [self.top_left, self.top_right, self.bottom_right, self.bottom_left], dtype=np.float32
        )

    def scaled(self, factor: float) -> Corners:
        """The same corners in an image scaled by `factor`."""
        return Corners.from_points(self.as_array() * factor)

    def distance(self, other: Corners) -> float:
        """The largest distance between matching corners of two quads, in pixels."""
        diff = self.as_array() - other.as_array()
        return float(np.max(np.hypot(diff[:, 0], diff[:, 1])))

    def area(self) -> float:
        """The quad's area in square pixels."""
        return float(abs(cv2.contourArea(self.as_array())))

    def to_list(self) -> list[list[float]]:
        """The corners as [[x, y], ...] rounded to 0.1 px, for JSON."""
        return [[round(x, 1), round(y, 1)] for x, y in self.as_array().tolist()]


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four points sorted clockwise (on screen, y down), starting from the top-left one."""
    pts = np.asarray(points, dtype=np.float64).reshape(4, 2)
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    # With y pointing down, increasing atan2 angle runs clockwise on screen.
    pts = pts[np.argsort(angles)]
    start = int(np.argmin(pts[:, 0] + pts[:, 1]))
    return np.roll(pts, -start, axis=0)


def to_grey(image: np.ndarray) -> np.ndarray:
    """An 8-bit grey copy of an RGB (H x W x 3) or grey (H x W) image."""
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    if image.ndim == 3 and image.shape[2] == 1:
        return image[:, :, 0]
    raise ValueError(f"expected an RGB or grey image, got shape {image.shape}")


def find_page(image: np.ndarray, *, min_area_fraction: float = MIN_AREA_FRACTION) -> Corners | None:
    """The page's corners in `image` (RGB or grey), or None when no page is in the frame."""
    grey = to_grey(image)
    h, w = grey.shape
    scale = min(1.0, DETECT_MAX_SIDE / max(h, w))
    small = (
        cv2.resize(grey, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        if scale < 1.0
        else grey
    )
    quad = _coarse_quad(small, min_area_fraction)
    if quad is None:
        return None
    quad = quad / scale
    refined = _refine_quad(grey, quad, search=max(4.0, 3.0 / scale))
    return Corners.from_points(refined)


def _coarse_quad(small: np.ndarray, min_area_fraction: float) -> np.ndarray | None:
    blurred = cv2.GaussianBlur(small, (5, 5), 0)
    median = float(np.median(blurred))
    low = max(20.0, 0.5 * median)
    edges = cv2.Canny(blurred, low, max(2 * low, 1.2 * median))
    # Closing joins the page outline where the edge is faint (shadow, glare) into one contour.
    edges = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    min_area = min_area_fraction * small.shape[0] * small.shape[1]
    hulls = sorted((cv2.convexHull(c) for c in contours), key=cv2.contourArea, reverse=True)
    for hull in hulls[:5]:
        if cv2.contourArea(hull) < min_area:
            break
        perimeter = cv2.arcLength(hull, True)
        for eps in (0.02, 0.03, 0.04, 0.06):
            approx = cv2.approxPolyDP(hull, eps * perimeter, True)
            if len(approx) <= 4:
                break
        if len(approx) != 4 or not cv2.isContourConvex(approx):
            continue
        if cv2.contourArea(approx) < min_area:
            continue
        return order_corners(approx.reshape(4, 2).astype(np.float64))
    return None


def _refine_quad(grey: np.ndarray, quad: np.ndarray, search: float) -> np.ndarray:
    """Move each side onto the strongest nearby edge at full resolution; keep it if unsure."""
    lines = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        line = _refine_side(grey, a, b, search)
        lines.append(line if line is not None else _line_through(a, b))
    out = np.empty((4, 2), dtype=np.float64)
    for i in range(4):
        point = _intersect(lines[i - 1], lines[i])
        # A refined corner that jumps far from the coarse one is a wrong fit: keep the coarse one.
        if point is None or np.hypot(*(point - quad[i])) > 3 * search:
            point = quad[i]
        out[i] = point
    return out


def _refine_side(
    grey: np.ndarray, a: np.ndarray, b: np.ndarray, search: float, samples: int = 48
) -> tuple[np.ndarray, np.ndarray] | None:
    length = float(np.hypot(*(b - a)))
    if length < 8:
        return None
    tangent = (b - a) / length
    normal = np.array([-tangent[1], tangent[0]])
    ts = np.linspace(0.08, 0.92, samples)
    offsets = np.arange(-search, search + 1.0, 1.0)
    strip = np.array([-1.0, 0.0, 1.0])  # average three parallel profiles against noise
    base = a[None, :] + ts[:, None] * (b - a)[None, :]
    pts = (
        base[:, None, None, :]
        + offsets[None, :, None, None] * normal
        + strip[None, None, :, None] * tangent
    )
    map_x = pts[..., 0].astype(np.float32).reshape(samples, -1)
    map_y = pts[..., 1].astype(np.float32).reshape(samples, -1)
    values = cv2.remap(grey, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    profiles = values.reshape(samples, len(offsets), 3).astype(np.float32).mean(axis=2)
    grad = np.abs(np.diff(profiles, axis=1))
    best = grad.argmax(axis=1)
    strength = grad[np.arange(samples), best]
    # Sub-pixel peak by a parabola through the neighbours.
    left = grad[np.arange(samples), np.clip(best - 1, 0, grad.shape[1] - 1)]
    right = grad[np.arange(samples), np.clip(best + 1, 0, grad.shape[1] - 1)]
    denom = left - 2 * strength + right
    shift = np.where(np.abs(denom) > 1e-6, 0.5 * (left - right) / np.where(denom == 0, 1, denom), 0)
    shift = np.clip(shift, -0.5, 0.5)
    pos = offsets[0] + best + 0.5 + shift
    keep = strength > max(8.0, 0.3 * float(np.median(strength)))
    if int(keep.sum()) < samples // 3:
        return None
    edge_pts = base[keep] + pos[keep, None] * normal[None, :]
    vx, vy, x0, y0 = cv2.fitLine(edge_pts.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    return np.array([x0, y0], dtype=np.float64), np.array([vx, vy], dtype=np.float64)


def _line_through(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = b - a
    return a.astype(np.float64), d / max(float(np.hypot(*d)), 1e-9)


def _intersect(
    l1: tuple[np.ndarray, np.ndarray], l2: tuple[np.ndarray, np.ndarray]
) -> np.ndarray | None:
    (p, r), (q, s) = l1, l2
    cross = r[0] * s[1] - r[1] * s[0]
    if abs(cross) < 1e-6:
        return None
    t = ((q[0] - p[0]) * s[1] - (q[1] - p[1]) * s[0]) / cross
    return p + t * r
