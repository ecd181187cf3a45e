"""The page pipeline on synthetic photographed pages with known corners.

Corner error over a seeded set is printed (run with -s to see it) and bounded; the
no-page case gives None; modes, deskew and the OpenCV 4/5 Hough shape are checked;
the time of one 1920x1080 frame is printed (no timed assert).
"""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from shared.imaging import (
    Corners,
    PageMode,
    correct_page,
    decode_image,
    encode_jpeg,
    estimate_skew,
    find_page,
    hough_segments,
    order_corners,
)
from shared.imaging.codec import ImageDecodeError
from tests.support.synthetic_pages import empty_frame, page_frame, skewed_page, synthetic_set

SET_SIZE = 16


def test_corner_error_on_the_synthetic_set() -> None:
    errors = []
    missed = []
    for frame in synthetic_set(SET_SIZE):
        found = find_page(frame.image)
        if found is None:
            missed.append(frame.seed)
            continue
        diff = found.as_array() - frame.corners
        errors.append(np.hypot(diff[:, 0], diff[:, 1]))
    err = np.concatenate(errors) if errors else np.array([np.inf])
    print(
        f"\ncorner error over {SET_SIZE} synthetic 1920x1080 frames: "
        f"mean {err.mean():.2f} px, median {np.median(err):.2f} px, max {err.max():.2f} px, "
        f"missed {missed}"
    )
    assert not missed
    assert err.mean() < 1.5
    assert err.max() < 4.0


def test_no_page_gives_none_not_a_bad_crop() -> None:
    for seed in range(5):
        assert find_page(empty_frame(seed).image) is None, seed
    assert find_page(np.zeros((480, 640, 3), np.uint8)) is None
    assert find_page(np.full((480, 640), 255, np.uint8)) is None


def test_corners_are_clockwise_from_top_left_in_input_pixels() -> None:
    frame = page_frame(3)
    # The same frame at half size gives corners at half the coordinates.
    small = cv2.resize(frame.image, (960, 540), interpolation=cv2.INTER_AREA)
    found = find_page(small)
    assert found is not None
    assert found.distance(Corners.from_points(frame.corners / 2)) < 3.0
    tl, tr, br, bl = found.as_array()
    assert tl[0] < tr[0] and bl[0] < br[0] and tl[1] < bl[1] and tr[1] < br[1]
    shuffled = np.array([[10, 90], [90, 10], [10, 10], [90, 90]], float)
    assert order_corners(shuffled).tolist() == [[10, 10], [90, 10], [90, 90], [10, 90]]


def test_modes_give_colour_grey_and_black_and_white() -> None:
    frame = page_frame(5)
    corners = find_page(frame.image)
    assert corners is not None
    colour = correct_page(frame.image, corners, PageMode.COLOUR)
    grey = correct_page(frame.image, corners, "grey")
    bw = correct_page(frame.image, corners, "bw")
    assert colour.ndim == 3 and colour.shape[2] == 3
    assert grey.ndim == 2 and bw.ndim == 2
    assert colour.shape[:2] == grey.shape == bw.shape
    # Portrait A4 page: height / width near 297 / 210.
    assert abs(grey.shape[0] / grey.shape[1] - 297 / 210) < 0.05
    assert set(np.unique(bw).tolist()) <= {0, 255}
    ink = float((bw == 0).mean())
    assert 0.01 < ink < 0.25, ink  # text, not a black page nor a blank one
    # The red stamp survives in colour mode (hue kept through flattening).
    r, g, b = (colour[..., i].astype(int) for i in range(3))
    assert int(((r - g > 80) & (r - b > 80)).sum()) > 500
    with pytest.raises(ValueError):
        correct_page(frame.image, corners, "sepia")


def test_flattening_removes_the_shadow() -> None:
    page = cv2.cvtColor(skewed_page(0.0), cv2.COLOR_RGB2GRAY)
    w = page.shape[1]
    shade = np.linspace(1.0, 0.45, w, dtype=np.float32)[None, :]  # dark towards the right
    shaded = (page.astype(np.float32) * shade).astype(np.uint8)
    full = Corners.full_frame(shaded.shape)
    flat = correct_page(shaded, full, "grey", deskew=False)
    raw = correct_page(shaded, full, "grey", deskew=False, flatten=False)

    def paper_level(img: np.ndarray, cols: slice) -> float:
        return float(np.percentile(img[:, cols], 90))

    left, right = slice(50, 200), slice(w - 200, w - 50)
    assert paper_level(raw, left) - paper_level(raw, right) > 80
    assert abs(paper_level(flat, left) - paper_level(flat, right)) < 15


@pytest.mark.parametrize("angle", [-4.0, 2.5, 6.0])
def test_deskew_measures_and_removes_known_skew(angle: float) -> None:
    page = skewed_page(angle)
    measured = estimate_skew(cv2.resize(page, (1000, round(1000 * page.shape[0] / page.shape[1]))))
    assert abs(measured - angle) < 0.4, measured
    straight = correct_page(page, Corners.full_frame(page.shape), "grey")
    residual = estimate_skew(
        cv2.resize(straight, (1000, round(1000 * straight.shape[0] / straight.shape[1])))
    )
    assert abs(residual) < 0.4, residual

    def row_profile_peakiness(img: np.ndarray) -> float:
        ink = (
            (img < 128).astype(np.float32)
            if img.ndim == 2
            else (cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) < 128)
        )
        return float(np.var(np.asarray(ink, np.float32).mean(axis=1)))

    # Independent of the estimator: straight text lines give sharply peaked row profiles.
    assert row_profile_peakiness(straight) > 1.5 * row_profile_peakiness(page)


def test_hough_shapes_of_opencv_4_and_5_agree() -> None:
    v5 = np.array([[1, 2, 3, 4], [5, 6, 7, 8]], np.int32)
    v4 = v5.reshape(-1, 1, 4)
    assert hough_segments(v5).tolist() == hough_segments(v4).tolist() == v5.tolist()
    assert hough_segments(None).shape == (0, 4)


def test_jpeg_round_trip_and_bad_bytes() -> None:
    page = skewed_page(0.0)
    data = encode_jpeg(page, 90)
    assert data[:3] == b"\xff\xd8\xff"
    back = decode_image(data)
    assert back.shape == page.shape
    assert float(np.abs(back.astype(int) - page.astype(int)).mean()) < 4
    assert decode_image(encode_jpeg(page[..., 0])).shape == page.shape  # grey encodes too
    for bad in (b"", b"not an image at all", data[: len(data) // 3]):
        with pytest.raises(ImageDecodeError):
            decode_image(bad)
    with pytest.raises(ValueError):
        encode_jpeg(page.astype(np.float32))


def test_timing_of_one_full_hd_frame() -> None:
    frame = page_frame(11)
    t0 = time.perf_counter()
    corners = find_page(frame.image)
    t1 = time.perf_counter()
    assert corners is not None
    correct_page(frame.image, corners, "bw")
    t2 = time.perf_counter()
    print(
        f"\n1920x1080 frame: find_page {1000 * (t1 - t0):.0f} ms, "
        f"correct_page(bw) {1000 * (t2 - t1):.0f} ms, total {1000 * (t2 - t0):.0f} ms"
    )
