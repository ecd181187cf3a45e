"""The faster page pipeline keeps its results: a 4000x3000 frame, the capped output, the
Hough skew, the low-resolution flattening, the hub's two-step thumbnail.

Figures (run with -s): the kiosk's own time per page against a JPEG encode of the same
frame, measured interleaved in this process. The bound is loose (the machine is shared)
but would catch the old pipeline (about 4.5x the encode idle, 6x on a busy machine).
"""

from __future__ import annotations

import statistics
import time

import cv2
import numpy as np
import pytest

from backoffice_console.hub.materials.images import check_page_image, thumbnail
from kiosk.materials import make_page
from shared.imaging import Corners, correct_page, encode_jpeg, estimate_skew, find_page
from shared.imaging.correct import MAX_PAGE_SIDE, paper_background
from shared.imaging.synthetic import Lighting, photograph, render_document
from tests.support.synthetic_pages import skewed_page

FRAME = (4000, 3000)
CORNERS = np.array([[1130, 260], [2990, 330], [2930, 2820], [1060, 2760]], np.float32)


@pytest.fixture(scope="module")
def frame() -> np.ndarray:
    page = render_document(2480, seed=1)
    lighting = Lighting(falloff=0.2, shadow=0.25, blur_sigma=0.8, noise_sigma=3.0)
    return photograph(page, CORNERS, FRAME, seed=1, lighting=lighting)


def test_big_frame_page_is_found_corrected_and_flat(frame: np.ndarray) -> None:
    corners = find_page(frame)
    assert corners is not None
    error = float(np.hypot(*(corners.as_array() - CORNERS).T).max())
    print(f"\n4000x3000 frame: corner error max {error:.2f} px")
    assert error < 3.0
    page = correct_page(frame, corners)
    # Straight to the size of the quad's longest sides, in one resampling.
    tl, tr, br, bl = corners.as_array().astype(np.float64)
    width = round(max(np.hypot(*(tr - tl)), np.hypot(*(br - bl))))
    height = round(max(np.hypot(*(bl - tl)), np.hypot(*(br - tr))))
    assert page.shape == (height, width, 3)
    grey = cv2.cvtColor(page, cv2.COLOR_RGB2GRAY)
    # Shadow and falloff divided out: the paper is near white in every quarter of the page.
    h, w = grey.shape
    for quarter in (grey[: h // 2, : w // 2], grey[: h // 2, w // 2 :],
                    grey[h // 2 :, : w // 2], grey[h // 2 :, w // 2 :]):  # fmt: skip
        assert np.percentile(quarter, 75) >= 245
    # The same result with the grey passed in (as make_page does) as without.
    again = correct_page(frame, corners, grey=cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY))
    assert float(np.abs(again.astype(int) - page.astype(int)).mean()) < 0.01


def test_output_is_capped_at_a4_300_dpi() -> None:
    # A page photographed by a huge sensor: 3000 x 4242 px in the frame.
    image = np.full((4400, 3200), 235, np.uint8)
    cv2.putText(image, "TEXT", (400, 2000), cv2.FONT_HERSHEY_SIMPLEX, 20, 20, 40)
    corners = Corners.from_points([[100, 79], [3099, 79], [3099, 4320], [100, 4320]])
    page = correct_page(image, corners, "grey", deskew=False)
    assert max(page.shape) == MAX_PAGE_SIDE
    assert abs(page.shape[0] / page.shape[1] - 4242 / 3000) < 0.01
    small = correct_page(image[:1000, :800], Corners.full_frame((1000, 800)), "grey")
    assert small.shape == (999, 799)  # small pages are never scaled up


@pytest.mark.parametrize("angle", [-9.0, -1.5, 0.0, 0.7, 3.5, 12.0])
def test_hough_skew_is_accurate_at_any_width(angle: float) -> None:
    page = skewed_page(angle)
    for width in (700, 1240):  # below and above the working width
        img = cv2.resize(page, (width, round(width * page.shape[0] / page.shape[1])))
        assert abs(estimate_skew(img) - angle) < 0.4, (angle, width)
    # A page with no lines (blank paper) has no measurable skew.
    assert estimate_skew(np.full((800, 600), 240, np.uint8)) == 0.0


def test_flattening_background_matches_the_full_resolution_estimate(frame: np.ndarray) -> None:
    corners = find_page(frame)
    assert corners is not None
    raw = correct_page(frame, corners, "grey", flatten=False)
    flat = correct_page(frame, corners, "grey")
    # The old way: the background estimated from the whole warped page.
    reference = cv2.divide(raw, paper_background(raw), scale=255)
    paper = reference > 200
    assert float(np.abs(flat[paper].astype(int) - reference[paper].astype(int)).mean()) < 3.0
    assert abs(float(np.median(flat)) - float(np.median(reference))) <= 2


def test_hub_thumbnail_is_320_wide_and_faithful(frame: np.ndarray) -> None:
    jpeg = make_page(frame)
    assert jpeg is not None
    checked = check_page_image(jpeg)
    thumb = cv2.imdecode(np.frombuffer(checked.thumbnail, np.uint8), cv2.IMREAD_COLOR)
    assert thumb.shape[1] == 320
    assert abs(thumb.shape[0] - round(320 * checked.height / checked.width)) <= 1
    image = cv2.imdecode(np.frombuffer(checked.jpeg, np.uint8), cv2.IMREAD_COLOR)
    area = cv2.resize(image, (thumb.shape[1], thumb.shape[0]), interpolation=cv2.INTER_AREA)
    assert float(np.abs(area.astype(int) - thumb.astype(int)).mean()) < 6.0
    # A narrow image is not enlarged.
    tiny = cv2.imdecode(np.frombuffer(thumbnail(image[:300, :200]), np.uint8), cv2.IMREAD_COLOR)
    assert tiny.shape[:2] == (300, 200)


def test_kiosk_page_time_against_a_frame_encode(frame: np.ndarray) -> None:
    own, base = [], []
    make_page(frame)  # warm up
    for _ in range(3):
        t0 = time.perf_counter()
        assert make_page(frame) is not None
        t1 = time.perf_counter()
        encode_jpeg(frame, 85)
        t2 = time.perf_counter()
        own.append(t1 - t0)
        base.append(t2 - t1)
    ratio = statistics.median(own) / statistics.median(base)
    print(
        f"\nmake_page {1000 * statistics.median(own):.0f} ms, frame JPEG "
        f"{1000 * statistics.median(base):.0f} ms, ratio {ratio:.2f}"
    )
    assert ratio < 4.0
