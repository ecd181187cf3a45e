"""Seeded synthetic photographed pages with KNOWN corners, and the bad-input variants.

Built on `shared.imaging.synthetic` (which the simulated camera also uses): a rendered
form warped onto a desk with lighting falloff, shadow, noise and blur. Variants: a page
cut off at the frame edge, a blurred page, a page with glare, and a frame with no page.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from shared.imaging.synthetic import (
    Lighting,
    desk_background,
    photograph,
    random_corners,
    render_document,
)

SIZE = (1920, 1080)
OFF_FRAME = np.array([[-100, -100], [-90, -100], [-90, -90], [-100, -90]], np.float32)


@dataclass(frozen=True)
class SyntheticFrame:
    """A frame, the true page corners (None when there is no page) and what kind it is."""

    image: np.ndarray
    corners: np.ndarray | None
    kind: str
    seed: int


def page_frame(
    seed: int, size: tuple[int, int] = SIZE, lighting: Lighting | None = None, tilt: float = 8.0
) -> SyntheticFrame:
    """A well-placed page (the ordinary case), with random lighting strength per seed."""
    rng = np.random.default_rng(seed)
    corners = random_corners(size, rng, fill=float(rng.uniform(0.6, 0.9)), tilt=tilt)
    if lighting is None:
        lighting = Lighting(
            falloff=float(rng.uniform(0.1, 0.35)),
            shadow=float(rng.uniform(0.0, 0.4)),
            blur_sigma=float(rng.uniform(0.3, 1.0)),
            noise_sigma=float(rng.uniform(1.0, 5.0)),
        )
    page = render_document(1240, seed)
    image = photograph(page, corners, size, seed=seed, lighting=lighting)
    return SyntheticFrame(image, corners, "page", seed)


def synthetic_set(
    count: int, first_seed: int = 100, size: tuple[int, int] = SIZE
) -> list[SyntheticFrame]:
    """`count` ordinary frames with seeds from `first_seed`."""
    return [page_frame(first_seed + i, size) for i in range(count)]


def blurred_frame(seed: int, sigma: float = 6.0, size: tuple[int, int] = SIZE) -> SyntheticFrame:
    """The ordinary frame of `seed`, photographed out of focus."""
    ordinary = page_frame(seed, size)
    lighting = Lighting(falloff=0.2, shadow=0.2, blur_sigma=sigma, noise_sigma=2.0)
    image = photograph(
        render_document(1240, seed), ordinary.corners, size, seed=seed, lighting=lighting
    )
    return SyntheticFrame(image, ordinary.corners, "blurred", seed)


def sharp_frame(seed: int, size: tuple[int, int] = SIZE) -> SyntheticFrame:
    """The ordinary frame of `seed` with the same mild lighting as `blurred_frame`, in focus."""
    ordinary = page_frame(seed, size)
    lighting = Lighting(falloff=0.2, shadow=0.2, blur_sigma=0.5, noise_sigma=2.0)
    image = photograph(
        render_document(1240, seed), ordinary.corners, size, seed=seed, lighting=lighting
    )
    return SyntheticFrame(image, ordinary.corners, "page", seed)


def glare_frame(seed: int, size: tuple[int, int] = SIZE) -> SyntheticFrame:
    """A page with a blown-out reflection over part of the text."""
    ordinary = page_frame(seed, size)
    lighting = Lighting(falloff=0.15, shadow=0.0, blur_sigma=0.5, noise_sigma=2.0, glare=255.0)
    image = photograph(
        render_document(1240, seed), ordinary.corners, size, seed=seed, lighting=lighting
    )
    return SyntheticFrame(image, ordinary.corners, "glare", seed)


def cut_off_frame(seed: int, size: tuple[int, int] = SIZE) -> SyntheticFrame:
    """A page pushed over the left or bottom edge of the frame."""
    rng = np.random.default_rng(seed)
    corners = random_corners(size, rng, fill=0.8, tilt=5.0)
    shift = np.array([-(corners[:, 0].min() + size[0] * 0.08), 0.0], dtype=np.float32)
    if seed % 2:
        shift = np.array([0.0, size[1] - corners[:, 1].max() + size[1] * 0.1], dtype=np.float32)
    corners = corners + shift
    image = photograph(render_document(1240, seed), corners, size, seed=seed)
    return SyntheticFrame(image, corners, "cut_off", seed)


def empty_frame(seed: int, size: tuple[int, int] = SIZE) -> SyntheticFrame:
    """The desk with no page: lighting, shadow, noise, and some small clutter (a pen, a card
    far below the page-size threshold)."""
    rng = np.random.default_rng(seed)
    image = desk_background(size[0], size[1], seed).copy()
    x, y = int(rng.integers(100, size[0] - 400)), int(rng.integers(100, size[1] - 200))
    cv2.rectangle(image, (x, y), (x + 150, y + 95), (230, 230, 225), -1)  # a card
    cv2.line(image, (x + 300, y), (x + 380, y + 150), (20, 20, 160), 6)  # a pen
    image = photograph(
        np.zeros((4, 4, 3), np.uint8),
        OFF_FRAME,
        size,
        seed=seed,
        background=image,
    )
    return SyntheticFrame(image, None, "no_page", seed)


def skewed_page(angle: float, seed: int = 7, width: int = 1240) -> np.ndarray:
    """A flat rendered page whose content is rotated by `angle` degrees (positive: the text
    slopes down to the right on screen), as when a form was printed or scanned askew."""
    page = render_document(width, seed)
    h, w = page.shape[:2]
    # getRotationMatrix2D turns anticlockwise on screen for positive angles; negate it.
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    return cv2.warpAffine(page, rot, (w, h), borderMode=cv2.BORDER_REPLICATE)


def photographed_pdf(
    pdf: bytes, folder: Path, corners: list[tuple[int, int]], seed: int
) -> np.ndarray:
    """A rendered document (its first page rasterised at 110 dpi by pdftoppm) photographed
    tilted on a plain grey desk, with sensor noise: what the document camera sees when a
    printed receipt or slip is held under it. `corners` are the page's corners on the desk
    as offsets from its top-left and bottom-right (tl, tr, br, bl), clockwise."""
    source = folder / "document.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "110", "-png", "-singlefile", str(source), str(folder / "document")],
        check=True,
        timeout=30,
    )
    page = cv2.cvtColor(cv2.imread(str(folder / "document.png")), cv2.COLOR_BGR2RGB)
    h, w = page.shape[:2]
    desk = np.full((h + 300, w + 300, 3), 120, np.uint8)
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    (tlx, tly), (trx, try_), (brx, bry), (blx, bly) = corners
    dst = np.float32([[tlx, tly], [w + trx, try_], [w + brx, h + bry], [blx, h + bly]])
    photo = cv2.warpPerspective(page, cv2.getPerspectiveTransform(src, dst),
                                (desk.shape[1], desk.shape[0]), dst=desk,
                                borderMode=cv2.BORDER_TRANSPARENT)  # fmt: skip
    noise = np.random.default_rng(seed).normal(0, 6, photo.shape)
    return np.clip(photo.astype(np.float64) + noise, 0, 255).astype(np.uint8)
