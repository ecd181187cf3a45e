"""Document camera backends end to end: a video file and an image sequence of synthetic
pages drive capture + the page pipeline; the simulated camera settles a page for
auto-capture; missing devices and files give clear errors; the CLI prints JSON."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.devices.doccam import (
    CameraNotFoundError,
    CameraNotOpenError,
    DocumentCameraConfig,
    SimulatedDocumentCamera,
    open_document_camera,
)
from kiosk.devices.doccam.cli import capture_page, wait_auto_capture
from shared.imaging import PageMode, check_page, correct_page, decode_image
from tests.support.synthetic_pages import page_frame

REPO = Path(__file__).resolve().parents[4]
SIZE = (1280, 720)
SEED = 200


def _truth() -> tuple[np.ndarray, np.ndarray]:
    frame = page_frame(SEED, SIZE)
    assert frame.corners is not None
    return frame.image, frame.corners


@pytest.fixture(scope="module")
def video_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("doccam") / "pages.avi"
    image, _ = _truth()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, SIZE)
    assert writer.isOpened()
    for _ in range(6):
        writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


@pytest.fixture(scope="module")
def image_sequence(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("doccam-seq")
    image, _ = _truth()
    for i in range(3):
        cv2.imwrite(str(folder / f"frame_{i:03d}.jpg"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return str(folder / "frame_%03d.jpg")


async def _capture_and_check(config: DocumentCameraConfig) -> None:
    _, truth = _truth()
    camera = open_document_camera(config)
    await asyncio.wait_for(camera.open(), 10)
    try:
        preview = await asyncio.wait_for(camera.next_frame(), 10)
        assert preview.shape == (SIZE[1], SIZE[0], 3)
        assert camera.latest() is not None
        info = camera.info()
        assert info.still_size == SIZE and info.backend == config.backend
        # Several captures in a row, across the loop back to the first frame.
        for _ in range(8):
            still = await asyncio.wait_for(camera.capture(), 10)
        check = check_page(still)
        assert check.ok, check.to_dict()
        assert check.corners is not None
        err = np.hypot(*(check.corners.as_array() - truth).T)
        assert err.max() < 3.0, err  # JPEG in the file costs a little accuracy, not more
        page = correct_page(still, check.corners, PageMode.BW)
        assert abs(page.shape[0] / page.shape[1] - 297 / 210) < 0.1  # perspective: roughly A4
    finally:
        await asyncio.wait_for(camera.close(), 10)
    assert not camera.is_open


async def test_video_file_camera_drives_capture_and_pipeline(video_file: Path) -> None:
    await _capture_and_check(DocumentCameraConfig(backend="file", path=str(video_file), fps=30))


async def test_image_sequence_camera_drives_capture_and_pipeline(image_sequence: str) -> None:
    await _capture_and_check(DocumentCameraConfig(backend="images", path=image_sequence, fps=30))


async def test_missing_devices_and_files_give_clear_errors(tmp_path: Path) -> None:
    cases = [
        ("file", str(tmp_path / "none.mp4"), "video file not found"),
        ("images", str(tmp_path / "f_%03d.jpg"), "image sequence not found"),
        ("images", str(tmp_path / "f.jpg"), "printf pattern"),
        ("v4l2", "/dev/video-none", "no video device"),
    ]
    for backend, path, text in cases:
        camera = open_document_camera(DocumentCameraConfig(backend=backend, path=path))
        with pytest.raises(CameraNotFoundError, match=text):
            await asyncio.wait_for(camera.open(), 10)
        assert not camera.is_open
    (tmp_path / "junk.avi").write_bytes(b"this is not a video")
    camera = open_document_camera(
        DocumentCameraConfig(backend="file", path=str(tmp_path / "junk.avi"))
    )
    with pytest.raises(CameraNotFoundError):
        await asyncio.wait_for(camera.open(), 10)
    with pytest.raises(CameraNotFoundError, match="needs a path"):
        open_document_camera(DocumentCameraConfig(backend="v4l2"))
    with pytest.raises(CameraNotOpenError):
        await camera.capture()


async def test_simulated_camera_settles_a_page_for_auto_capture(tmp_path: Path) -> None:
    config = DocumentCameraConfig(
        backend="simulated", width=640, height=360, still_width=1280, still_height=720, fps=15
    )
    camera = SimulatedDocumentCamera(config)
    # Mid-slide at the start, the page is not where it will rest.
    _, moving = camera.scene(now=0.3)
    _, resting = camera.scene(now=3.0)
    assert np.abs(moving - resting).max() > 0.1
    await asyncio.wait_for(camera.open(), 10)
    try:
        assert await asyncio.wait_for(wait_auto_capture(camera, 6.0), 10)
        report = await asyncio.wait_for(
            capture_page(camera, tmp_path / "page.jpg", PageMode.COLOUR), 10
        )
    finally:
        await camera.close()
    assert report["written"], report
    assert report["frame"] == [1280, 720]
    page = decode_image((tmp_path / "page.jpg").read_bytes())
    assert page.shape[0] > page.shape[1]  # a portrait page, cropped from the landscape frame


def test_cli_capture_and_info_print_json(video_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli.jpg"
    base = [sys.executable, "-m", "kiosk.devices", "doccam"]
    run = subprocess.run(
        [
            *base,
            "capture",
            "--backend",
            "file",
            "--path",
            str(video_file),
            "--out",
            str(out),
            "--mode",
            "grey",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["check"]["ok"] and report["written"]
    assert {"capture_ms", "find_check_ms", "correct_ms", "encode_ms"} <= set(report["timings"])
    assert decode_image(out.read_bytes()).shape[0] > 500
    info = subprocess.run(
        [*base, "info", "--backend", "file", "--path", str(video_file)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert info.returncode == 0 and json.loads(info.stdout)["still_size"] == list(SIZE)
    missing = subprocess.run(
        [
            *base,
            "capture",
            "--backend",
            "file",
            "--path",
            str(tmp_path / "x.avi"),
            "--out",
            str(tmp_path / "x.jpg"),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert missing.returncode == 1
    assert "video file not found" in json.loads(missing.stdout)["error"]
    assert not (tmp_path / "x.jpg").exists()
