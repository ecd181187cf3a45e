"""JPEG in strips on several cores (`shared.imaging.jpeg_strips`) and the banded page.

Encoding in strips must give byte for byte the file one encoder writes with the
same restart interval, which any decoder reads (checked with OpenCV's libjpeg-turbo
and Pillow's). Decoding in parts must give one decoder's pixels, and must hand every
file it cannot split safely back to the whole decode.
"""

from __future__ import annotations

import io
import itertools
import math
import time
from collections.abc import Callable

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from backoffice_console.hub.materials.images import InvalidImage, check_page_image
from shared.imaging import correct_page, correct_page_jpeg, encode_jpeg, find_page
from shared.imaging.correct import plan_page, render_rows
from shared.imaging.jpeg_strips import (
    decode_jpeg_strips,
    encode_jpeg_strips,
    read_layout,
    strip_rows,
)
from shared.imaging.parallel import run_all
from shared.imaging.synthetic import Lighting, photograph, render_document

CORNERS = np.array([[420, 90], [1130, 120], [1100, 1050], [400, 1020]], np.float32)


def _image(height: int, width: int, channels: int, seed: int = 0) -> np.ndarray:
    """Smooth colour waves: any content codes the same way in strips."""
    y, x = np.mgrid[0:height, 0:width]
    base = (128 + 60 * np.sin((x + seed) / 17.0) * np.cos(y / 23.0)).astype(np.uint8)
    if channels == 1:
        return base
    return np.dstack([base, np.roll(base, 7, axis=1), 255 - base])


def _page(height: int, width: int, grey: bool = False) -> np.ndarray:
    """The top left of a rendered document page (text, rules, stamps), BGR or grey."""
    page = render_document(max(width, height * 707 // 1000 + 1), seed=5)[:height, :width]
    assert page.shape[:2] == (height, width)
    return cv2.cvtColor(page, cv2.COLOR_RGB2GRAY if grey else cv2.COLOR_RGB2BGR)


def _single(image: np.ndarray, quality: int = 85) -> bytes:
    """One encoder, one restart per MCU row: what the strips must reproduce."""
    mcu = 16 if image.ndim == 3 else 8
    params = [cv2.IMWRITE_JPEG_QUALITY, quality,
              cv2.IMWRITE_JPEG_RST_INTERVAL, math.ceil(image.shape[1] / mcu)]  # fmt: skip
    if image.ndim == 3:
        params += [cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420]
    ok, buf = cv2.imencode(".jpg", image, params)
    assert ok
    return buf.tobytes()


def _decode(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert image is not None
    return image


@settings(max_examples=25, deadline=None)
@given(
    height=st.integers(1, 700),
    width=st.integers(1, 300),
    grey=st.booleans(),
    parts=st.integers(1, 4),
)
def test_strips_are_byte_for_byte_one_encoders_file(
    height: int, width: int, grey: bool, parts: int
) -> None:
    image = _image(height, width, 1 if grey else 3, seed=height)
    joined = encode_jpeg_strips(image, 85, parts=parts)
    assert joined == _single(image)


@pytest.mark.parametrize("grey", [False, True])
def test_joined_file_reads_the_same_in_pillow_and_opencv(grey: bool) -> None:
    image = _page(1000, 640, grey)
    joined = encode_jpeg_strips(image, 85, parts=3)
    layout = read_layout(joined)
    assert layout is not None and (layout.width, layout.height) == (640, 1000)
    assert layout.restart_interval == layout.mcus_per_row
    ours = _decode(joined)
    with Image.open(io.BytesIO(joined)) as pil:
        pil.load()
        theirs = np.asarray(pil)
    if not grey:
        theirs = cv2.cvtColor(theirs, cv2.COLOR_RGB2BGR)
    assert ours.shape == theirs.shape == image.shape
    # Two decoders (the same IDCT family): equal up to rounding.
    assert np.abs(ours.astype(int) - theirs).max() <= 2
    assert np.abs(ours.astype(int) - image).mean() < 3  # and it is the image


def test_strip_rows_cover_the_image_on_restart_boundaries() -> None:
    for height in (1, 127, 128, 129, 2501, 3508):
        for parts in (1, 2, 3, 4):
            rows = strip_rows(height, 16, parts)
            assert rows[0][0] == 0 and rows[-1][1] == height
            assert all(a[1] == b[0] for a, b in itertools.pairwise(rows))
            assert all(y0 % 128 == 0 for y0, _ in rows)
            assert len(rows) <= parts


@settings(max_examples=12, deadline=None)
@given(height=st.integers(129, 1700), parts=st.integers(2, 4), grey=st.booleans())
def test_parts_decode_to_one_decoders_pixels(height: int, parts: int, grey: bool) -> None:
    image = _page(height, 900, grey)
    data = _single(image)
    flags = cv2.IMREAD_GRAYSCALE if grey else cv2.IMREAD_COLOR
    split = decode_jpeg_strips(data, flags, parts=parts)
    assert split is not None
    # Exact, also beside the cuts (where smooth chroma upsampling reads both sides).
    assert np.array_equal(split, cv2.imdecode(np.frombuffer(data, np.uint8), flags))


def test_a_single_group_is_not_split() -> None:
    data = _single(_page(128, 300))
    assert decode_jpeg_strips(data, parts=4) is None  # one run of 8 MCU rows: nothing to cut


def _renumbered(data: bytes) -> bytes:
    """The first restart marker given the wrong number (a damaged or crafted file)."""
    layout = read_layout(data)
    assert layout is not None
    at = data.index(b"\xff\xd0", layout.scan_start)
    return data[:at] + b"\xff\xd3" + data[at + 2 :]


def _progressive(image: np.ndarray) -> bytes:
    out = io.BytesIO()
    rgb = Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    rgb.save(out, "JPEG", quality=85, progressive=True)
    return out.getvalue()


def _encoded(image: np.ndarray, *params: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, list(params))
    assert ok
    return buf.tobytes()


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda im: _encoded(im, cv2.IMWRITE_JPEG_QUALITY, 85), id="no_restarts"),
        pytest.param(lambda im: _encoded(im, cv2.IMWRITE_JPEG_RST_INTERVAL, 7), id="odd_interval"),
        pytest.param(_progressive, id="progressive"),
        pytest.param(lambda im: _renumbered(_single(im)), id="markers_out_of_order"),
        pytest.param(lambda im: _single(im)[:-5000] + b"\xff\xd9", id="cut_short"),
        pytest.param(lambda im: _encoded(im, cv2.IMWRITE_PNG_COMPRESSION, 1), id="png"),
    ],
)
def test_files_that_cannot_be_split_go_back_to_the_whole_decode(
    make: Callable[[np.ndarray], bytes],
) -> None:
    image = _image(1200, 800, 3)
    data = make(image)
    assert decode_jpeg_strips(data) is None


def test_hub_check_takes_a_kiosk_page_and_any_other_jpeg() -> None:
    image = _page(1300, 900)
    for data in (_single(image), _progressive(image), _encoded(image)):
        page = check_page_image(data)
        assert (page.width, page.height) == (900, 1300)
        stored = _decode(page.jpeg)
        assert stored.shape == image.shape
        assert np.abs(stored.astype(int) - image).mean() < 4
        # What the hub stores has its own restarts: it can be split again.
        assert decode_jpeg_strips(page.jpeg) is not None


@pytest.fixture(scope="module")
def frame() -> np.ndarray:
    page = render_document(900, seed=3)
    lighting = Lighting(falloff=0.2, shadow=0.25, blur_sigma=0.8, noise_sigma=3.0)
    return photograph(page, CORNERS, (1400, 1150), seed=3, lighting=lighting)


@pytest.mark.parametrize("mode", ["colour", "grey", "bw"])
def test_banded_page_is_the_page(frame: np.ndarray, mode: str) -> None:
    corners = find_page(frame)
    assert corners is not None
    plan = plan_page(frame, corners, mode)
    width, height = plan.size
    whole = render_rows(plan, 0, height)
    bands = np.concatenate([render_rows(plan, y0, y1) for y0, y1 in strip_rows(height, 16, 3)])
    # Each band's warp has its own crop of the frame: bilinear weights may round apart.
    assert bands.shape == whole.shape
    assert np.abs(bands.astype(int) - whole).max() <= 2
    reference = encode_jpeg(correct_page(frame, corners, mode), 85)
    ours = correct_page_jpeg(frame, corners, mode, 85)
    a, b = _decode(reference).astype(int), _decode(ours).astype(int)
    if mode == "colour":
        a = cv2.cvtColor(a.astype(np.uint8), cv2.COLOR_BGR2RGB).astype(int)
        b = cv2.cvtColor(b.astype(np.uint8), cv2.COLOR_BGR2RGB).astype(int)
    assert a.shape == b.shape
    assert a.shape[:2] == (height, width)
    assert np.abs(a - b).mean() < 0.1
    with pytest.raises(ValueError, match="quality"):
        correct_page_jpeg(frame, corners, mode, 0)


def test_parallel_steps_keep_order_nest_and_raise() -> None:
    # Steps that ask for parallel work themselves run it inline (no wait on a busy pool).
    inner = [lambda i=i: run_all([lambda: i, lambda: i * 10]) for i in range(4)]
    assert run_all(inner) == [[0, 0], [1, 10], [2, 20], [3, 30]]
    done: list[int] = []

    def slow() -> int:
        time.sleep(0.05)  # not a wait: a slow step
        done.append(1)
        return 1

    def broken() -> int:
        raise ValueError("bad step")

    with pytest.raises(ValueError, match="bad step"):
        run_all([broken, slow])
    assert done == [1]  # the other step finished before the error came out


_KIOSK_PAGE = _single(_page(400, 300))


@settings(max_examples=150, deadline=None)
@given(
    flips=st.lists(
        st.tuples(st.integers(0, len(_KIOSK_PAGE) - 1), st.integers(0, 255)), max_size=6
    ),
    cut=st.integers(0, len(_KIOSK_PAGE)),
    tail=st.sampled_from([b"", b"\xff\xd9"]),
)
def test_damaged_pages_are_refused_or_read_never_a_crash(
    flips: list[tuple[int, int]], cut: int, tail: bytes
) -> None:
    data = bytearray(_KIOSK_PAGE[:cut])
    for at, value in flips:
        if at < len(data):
            data[at] = value
    damaged = bytes(data) + tail
    try:
        page = check_page_image(damaged)
    except InvalidImage:
        return
    # Whatever was accepted is a real page of the size its header claims.
    stored = _decode(page.jpeg)
    assert stored.shape[:2] == (page.height, page.width)
    layout = read_layout(damaged)
    if layout is not None:
        assert (page.width, page.height) == (layout.width, layout.height)
