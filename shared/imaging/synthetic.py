"""Synthetic "photographed" pages with known corners: for the simulated camera and tests.

`render_document` draws a form-like page (title, text lines, a table, a red stamp);
`photograph` warps it onto a desk background at given corners and adds what a real
document camera adds: lighting falloff, a soft shadow, blur, sensor noise and glare.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

A4_RATIO = 297 / 210

_WORDS = (
    "Name",
    "Address",
    "ID",
    "Date",
    "Street",
    "No.",
    "Room",
    "Household",
    "Resident",
    "Certificate",
    "Seal",
    "Office",
    "District",
    "Signature",
    "Phone",
)


def render_document(width: int = 1240, seed: int = 0, title: str = "CERTIFICATE") -> np.ndarray:
    """An A4-proportioned RGB page: title, lines of text, a ruled table and a red stamp."""
    rng = np.random.default_rng(seed)
    height = round(width * A4_RATIO)
    paper = int(rng.integers(236, 250))
    page = np.full((height, width, 3), paper, np.uint8)
    u = width / 1240  # layout unit: everything scales with the page
    margin = round(110 * u)
    ink = (25, 25, 35)
    cv2.putText(
        page,
        f"{title} {seed:03d}",
        (margin, round(190 * u)),
        cv2.FONT_HERSHEY_DUPLEX,
        2.2 * u,
        ink,
        max(1, round(4 * u)),
        cv2.LINE_AA,
    )
    y = round(300 * u)
    line_gap = round(62 * u)
    for _ in range(int(rng.integers(6, 10))):
        x = margin
        while True:
            word = str(rng.choice(_WORDS))
            (tw, _), _ = cv2.getTextSize(
                word, cv2.FONT_HERSHEY_SIMPLEX, 1.3 * u, max(1, round(2 * u))
            )
            if x + tw > width - margin:
                break
            cv2.putText(
                page,
                word,
                (x, y),
                cv2.FONT_HERSHEY_SIMPLEX,
                1.3 * u,
                ink,
                max(1, round(2 * u)),
                cv2.LINE_AA,
            )
            x += tw + round(22 * u)
        y += line_gap
    # A ruled table, as on most forms.
    top = y + round(30 * u)
    rows, cols = int(rng.integers(4, 7)), 3
    row_h = round(70 * u)
    col_w = (width - 2 * margin) // cols
    thick = max(1, round(3 * u))
    for r in range(rows + 1):
        cv2.line(
            page, (margin, top + r * row_h), (margin + cols * col_w, top + r * row_h), ink, thick
        )
    for c in range(cols + 1):
        cv2.line(
            page, (margin + c * col_w, top), (margin + c * col_w, top + rows * row_h), ink, thick
        )
    for r in range(rows):
        for c in range(cols):
            cv2.putText(
                page,
                str(rng.choice(_WORDS)),
                (margin + c * col_w + round(14 * u), top + r * row_h + round(48 * u)),
                cv2.FONT_HERSHEY_SIMPLEX,
                1.0 * u,
                ink,
                max(1, round(2 * u)),
                cv2.LINE_AA,
            )
    stamp_c = (
        width - margin - round(150 * u),
        min(height - margin, top + rows * row_h + round(230 * u)),
    )
    cv2.circle(page, stamp_c, round(130 * u), (200, 40, 40), max(2, round(8 * u)), cv2.LINE_AA)
    cv2.putText(
        page,
        "SEAL",
        (stamp_c[0] - round(80 * u), stamp_c[1] + round(20 * u)),
        cv2.FONT_HERSHEY_DUPLEX,
        1.6 * u,
        (200, 40, 40),
        max(1, round(4 * u)),
        cv2.LINE_AA,
    )
    return page


@dataclass(frozen=True)
class Lighting:
    """What the camera adds: falloff towards the corners, a shadow, blur, noise and glare."""

    falloff: float = 0.25
    shadow: float = 0.35
    blur_sigma: float = 0.6
    noise_sigma: float = 3.0
    glare: float = 0.0


def desk_background(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A darker, slightly textured desk surface (RGB)."""
    rng = np.random.default_rng(seed + 10_000)
    base = rng.integers(45, 120, size=3).astype(np.float32)
    coarse = rng.normal(0.0, 12.0, size=(9, 12, 3)).astype(np.float32)
    texture = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.clip(base + texture, 0, 255).astype(np.uint8)


def photograph(
    page: np.ndarray,
    corners: np.ndarray,
    size: tuple[int, int],
    *,
    seed: int = 0,
    lighting: Lighting | None = None,
    background: np.ndarray | None = None,
    noise_seed: int | None = None,
) -> np.ndarray:
    """The page warped onto a desk at `corners` (4 x 2, clockwise from top-left, may lie
    outside the frame) in a frame of `size` = (width, height), with lighting effects.

    `seed` fixes the background and lighting; `noise_seed` (default: `seed`) the sensor noise,
    so a simulated camera can keep its lighting steady while the noise changes per frame.
    """
    lighting = lighting or Lighting()
    width, height = size
    rng = np.random.default_rng(seed)
    ph, pw = page.shape[:2]
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], dtype=np.float32)
    homography = cv2.getPerspectiveTransform(src, np.asarray(corners, dtype=np.float32))
    warped = cv2.warpPerspective(page, homography, (width, height), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(
        np.full((ph, pw), 255, np.uint8), homography, (width, height), flags=cv2.INTER_AREA
    )
    if background is None:
        background = desk_background(width, height, seed)
    alpha = (mask.astype(np.float32) / 255.0)[..., None]
    frame = warped.astype(np.float32) * alpha + background.astype(np.float32) * (1 - alpha)
    light = _light_field(width, height, rng, lighting)
    frame *= light[..., None]
    if lighting.glare > 0:
        frame += _glare_field(width, height, corners, rng, lighting.glare)[..., None]
    if lighting.blur_sigma > 0:
        frame = cv2.GaussianBlur(frame, (0, 0), lighting.blur_sigma)
    if lighting.noise_sigma > 0:
        noise_rng = rng if noise_seed is None else np.random.default_rng(noise_seed)
        frame += noise_rng.normal(0.0, lighting.noise_sigma, size=(height, width, 1)).astype(
            np.float32
        )
    return np.clip(frame, 0, 255).astype(np.uint8)


def _light_field(
    width: int, height: int, rng: np.random.Generator, lighting: Lighting
) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    cx, cy = width * rng.uniform(0.35, 0.65), height * rng.uniform(0.35, 0.65)
    r2 = ((xx - cx) / width) ** 2 + ((yy - cy) / height) ** 2
    light = 1.0 - lighting.falloff * np.clip(r2 / 0.5, 0, 1)
    if lighting.shadow > 0:
        # A soft straight-edged shadow (the camera arm, a hand) over one side of the frame.
        angle = rng.uniform(0, 2 * np.pi)
        nx, ny = np.cos(angle), np.sin(angle)
        offset = rng.uniform(0.25, 0.4) * (abs(nx) * width + abs(ny) * height)
        d = (xx - width / 2) * nx + (yy - height / 2) * ny - offset
        soft = 0.02 * max(width, height)
        light *= 1.0 - lighting.shadow / (1.0 + np.exp(-d / soft))
    return light


def _glare_field(
    width: int, height: int, corners: np.ndarray, rng: np.random.Generator, strength: float
) -> np.ndarray:
    pts = np.asarray(corners, dtype=np.float32)
    centre = pts.mean(axis=0) + rng.uniform(-0.15, 0.15, size=2) * (pts.max(0) - pts.min(0))
    span = float(np.min(pts.max(0) - pts.min(0)))
    spot = np.zeros((height, width), np.float32)
    axes = (max(4, round(span * 0.14)), max(3, round(span * 0.09)))
    cx, cy = round(float(centre[0])), round(float(centre[1]))
    cv2.ellipse(spot, (cx, cy), axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
    blurred: np.ndarray = cv2.GaussianBlur(spot, (0, 0), span * 0.02)
    return np.clip(blurred * 1.6, 0, 1) * strength


def random_corners(
    size: tuple[int, int], rng: np.random.Generator, fill: float = 0.7, tilt: float = 8.0
) -> np.ndarray:
    """Corners of an A4 page (portrait) covering about `fill` of the frame height, rotated up
    to `tilt` degrees and with some perspective, fully inside the frame."""
    width, height = size
    page_h = height * fill
    page_w = page_h / A4_RATIO
    half = (
        np.array([[-page_w, -page_h], [page_w, -page_h], [page_w, page_h], [-page_w, page_h]]) / 2
    )
    angle = np.radians(rng.uniform(-tilt, tilt))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    pts = half @ rot.T
    pts += rng.uniform(-0.04, 0.04, size=(4, 2)) * page_h  # perspective and a bent camera arm
    span = pts.max(0) - pts.min(0)
    room = np.array([width, height]) - span
    centre = np.array([width, height]) / 2 + rng.uniform(-0.3, 0.3, size=2) * np.maximum(
        room - 20, 0
    )
    return (pts + centre).astype(np.float32)
