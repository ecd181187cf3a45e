"""A flatbed scanner as the document camera, against SANE's own `test` backend.

`scanimage` (sane-utils) runs for real on a configuration folder the test makes (only
the `test` backend, so nothing probes USB or the network). The test backend scans a
grid of 10 mm squares and fails on request the way real scanners fail (feeder jammed,
cover open, no paper, busy, I/O error); each failure must say so. A page scanned at
the kiosk's capture desk reaches a real hub.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kiosk.devices.doccam import (
    CameraNotFoundError,
    CaptureError,
    DocumentCameraConfig,
    SaneFlatbed,
    open_document_camera,
)
from kiosk.health.devices import check_doccam
from kiosk.materials import CaptureDesk, CaptureState, Outbox
from shared.hubclient import HubClient
from shared.i18n import set_language
from shared.imaging import decode_image
from shared.protocol import DeviceCommand
from shared.protocol.health import CheckStatus
from tests.kiosk.materials.test_delivery import session_with_credential
from tests.support.hub_fixtures import WAIT, HubHarness
from tests.support.waiting import until

GRID = ["--test-picture", "Grid", "-x", "150", "-y", "200"]  # 150 x 200 mm of 10 mm squares
SMALL = ["--test-picture", "Grid", "-x", "20", "-y", "20"]


@pytest.fixture(autouse=True)
def sane_test_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SANE reads only this folder: the `test` backend and nothing else."""
    folder = tmp_path / "sane.d"
    folder.mkdir()
    (folder / "dll.conf").write_text("test\n")
    monkeypatch.setenv("SANE_CONFIG_DIR", str(folder))
    return folder


def _config(**changes: Any) -> DocumentCameraConfig:
    values: dict[str, Any] = {"backend": "sane", "path": "test:0", "dpi": 100,
                              "preview_dpi": 25, "sane_options": GRID}  # fmt: skip
    values.update(changes)
    return DocumentCameraConfig(**values)


def _mm(pixels: int, dpi: int) -> float:
    return pixels * 25.4 / dpi


async def test_flatbed_previews_and_scans_the_glass() -> None:
    camera = open_document_camera(_config())
    assert isinstance(camera, SaneFlatbed) and camera.flat
    await camera.open()
    try:
        # Opening made a quick preview scan: the screen has a picture at once.
        await camera.wait_newer(0, WAIT)
        preview = camera.latest()
        assert preview is not None and preview.ndim == 3
        assert abs(_mm(preview.shape[1], 25) - 150) < 2 and abs(_mm(preview.shape[0], 25) - 200) < 2
        still = await camera.capture()
        assert still.dtype == np.uint8 and still.shape[2] == 3
        assert abs(_mm(still.shape[1], 100) - 150) < 1 and abs(_mm(still.shape[0], 100) - 200) < 1
        # The grid: black and white squares in about equal parts, read from the scanner.
        grey = still.mean(axis=2)
        dark, light = float((grey < 64).mean()), float((grey > 192).mean())
        assert 0.3 < dark < 0.7 and 0.3 < light < 0.7 and dark + light > 0.95
        # Squares of 10 mm: about 39 px at 100 dpi along a row.
        edges = np.count_nonzero(np.diff(grey[still.shape[0] // 2] > 128))
        assert 12 <= edges <= 16  # 150 mm / 10 mm squares: 14 changes
        # The screen and the officer now see the scan, at the preview's resolution.
        await camera.wait_newer(1, WAIT)
        shown = camera.latest()
        assert shown is not None and abs(shown.shape[1] - preview.shape[1]) <= 1
        info = camera.info()
        assert info.device == "test:0" and info.still_size == (still.shape[1], still.shape[0])
    finally:
        await camera.close()


async def test_first_scanner_is_taken_and_a_missing_one_is_named() -> None:
    camera = open_document_camera(_config(path=None))
    await camera.open()
    assert camera.info().device == "test:0"
    await camera.close()
    with pytest.raises(CameraNotFoundError, match=r"no SANE scanner 'test:9' \(found: test:0"):
        await open_document_camera(_config(path="test:9")).open()


async def test_without_scanimage_the_package_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(CameraNotFoundError, match="sane-utils"):
        await open_document_camera(_config()).open()


@pytest.mark.parametrize(
    ("status", "says"),
    [
        ("SANE_STATUS_JAMMED", "feeder is jammed"),
        ("SANE_STATUS_COVER_OPEN", "cover is open"),
        ("SANE_STATUS_NO_DOCS", "no page in the scanner"),
        ("SANE_STATUS_DEVICE_BUSY", "scanner is busy"),
        ("SANE_STATUS_IO_ERROR", "stopped answering"),
    ],
)
async def test_scanner_failures_say_what_is_wrong(status: str, says: str) -> None:
    # A small area: the test backend's reader process must not fill its pipe to
    # scanimage, which then stops reading (and would hang until `scan_timeout`).
    camera = open_document_camera(_config(sane_options=SMALL))
    await camera.open()
    try:
        camera.config.sane_options.extend(["--read-return-value", status])
        with pytest.raises(CaptureError, match=says):
            await camera.capture()
    finally:
        await camera.close()
    # A scanner that fails already at the preview is not usable: said at open().
    with pytest.raises(CameraNotFoundError, match=says):
        await open_document_camera(
            _config(sane_options=[*GRID, "--read-return-value", status])
        ).open()


async def test_a_scan_that_hangs_is_given_up() -> None:
    slow = [*GRID, "--read-limit=yes", "--read-limit-size", "64", "--read-delay=yes",
            "--read-delay-duration", "200000"]  # fmt: skip
    camera = open_document_camera(_config())
    await camera.open()
    try:
        camera.config.sane_options[:] = slow
        camera.config.scan_timeout = 0.5
        with pytest.raises(CaptureError, match=r"did not finish within 0.5 s"):
            await camera.capture()
    finally:
        await camera.close()


async def test_health_check_reports_the_flatbed() -> None:
    set_language("zh_CN")
    checked = await check_doccam(_config())
    assert checked.status is CheckStatus.OK
    assert checked.message == "扫描仪正常（test:0）"
    width, height = (int(v) for v in (checked.value or "").split("x"))
    assert abs(_mm(width, 25) - 150) < 2 and abs(_mm(height, 25) - 200) < 2  # the preview scan
    broken = await check_doccam(_config(path="test:7"))
    assert broken.status is CheckStatus.FAILED and "test:7" in broken.message


async def _ignore(_: Any) -> None:
    return None


async def test_a_scanned_page_reaches_the_officer(hub: HubHarness, tmp_path: Path) -> None:
    officer, credential, sid = await session_with_credential(hub, "K-scan")
    client = HubClient(hub.url, hub.ca, _ignore)
    await asyncio.wait_for(client.login_device(credential), WAIT)
    await asyncio.wait_for(client.connect(), WAIT)
    desk = CaptureDesk(_config(dpi=150), client, Outbox(tmp_path / "outbox"), lambda: None)
    await desk.start()
    try:
        desk.handle_command(sid, DeviceCommand(session_id=sid, command_id="scan-1",
                                               kind="page.capture"))  # fmt: skip
        # The flatbed's hint first, then its preview scan on the screen (a scan takes a while).
        await until(lambda: desk.message == ("kiosk", "capture.flatbed"), "the flatbed hint")
        assert desk.flatbed and desk.state == CaptureState.PREVIEW
        await until(lambda: desk.preview_frame() is not None, "the preview scan")
        desk.capture_now()  # the helper presses 扫描
        added = await officer.skip_to("material.added", timeout=20)
        assert added.command_id == "scan-1"
        # The whole glass at 150 dpi (150 x 200 mm), straightened: no page search.
        assert abs(_mm(added.width, 150) - 150) < 2 and abs(_mm(added.height, 150) - 200) < 2
        # A jammed feeder fails the capture with the scanner's own message.
        desk.again()
        assert desk.camera is not None
        desk.camera.config.sane_options.extend(["--read-return-value", "SANE_STATUS_JAMMED"])
        desk.capture_now()
        async with asyncio.timeout(WAIT):
            while desk.state != CaptureState.FAILED:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        assert desk.message == ("kiosk", "capture.error.scan")
    finally:
        await desk.close()
        await client.close()


def test_cli_scans_a_page(sane_test_backend: Path, tmp_path: Path) -> None:
    out = tmp_path / "scan.jpg"
    done = subprocess.run(
        [sys.executable, "-m", "kiosk.devices", "doccam", "capture", "--backend", "sane",
         "--path", "test:0", "--dpi", "75", "--out", str(out)],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "SANE_CONFIG_DIR": str(sane_test_backend)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["written"] and report["check"] is None  # a scan is the page: no search
    assert decode_image(out.read_bytes()).shape[:2] == (report["page"][1], report["page"][0])


async def test_a_scan_that_hangs_after_its_error_gives_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SANE's threaded backends can hang in their clean-up after a failed read (the test
    backend does, now and then): the reason is on stderr, so it is reported at once and
    the hung scan (and anything it started) is killed."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pid_file = tmp_path / "sleeper.pid"
    script = bin_dir / "scanimage"
    # The quick preview scan at open() succeeds (a 2x2 grey PNM); the still fails and hangs.
    preview = "printf 'P5 2 2 255 ' && printf '\\000\\000\\000\\000'"
    script.write_text(
        "#!/bin/sh\n"
        'case "$*" in *-L*) echo test:0; exit 0;; esac\n'
        f'case "$*" in *"--resolution 25"*) {preview}; exit 0;; esac\n'
        "echo 'scanimage: sane_read: Scanner cover is open' >&2\n"
        f"sleep 60 & echo $! > {pid_file}\n"
        "wait\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    camera = open_document_camera(_config())
    await camera.open()
    try:
        started = asyncio.get_running_loop().time()
        with pytest.raises(CaptureError, match="cover is open"):
            await camera.capture()
        assert asyncio.get_running_loop().time() - started < 10  # not the 60 s timeout
    finally:
        await camera.close()
    sleeper = int(pid_file.read_text())
    async with asyncio.timeout(5):
        while _alive(sleeper):  # noqa: ASYNC110 - another process: nothing to await
            await asyncio.sleep(0.05)


def _alive(pid: int) -> bool:
    """The process runs (a zombie waiting for its reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"
