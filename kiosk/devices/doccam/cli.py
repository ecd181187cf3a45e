"""`python -m kiosk.devices doccam capture|info`: use the document camera without the kiosk.

`capture` takes a still (or waits for auto-capture with `--auto`), runs the page
pipeline (find, check, correct) and writes the page as JPEG; it prints JSON with the
check result and the time of each step. Exit status: 0 page written, 2 no usable page
(nothing written), 1 device error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.devices.doccam import (
    DocumentCamera,
    DocumentCameraConfig,
    DocumentCameraError,
    open_document_camera,
)
from shared.imaging import (
    AutoCapture,
    Corners,
    PageMode,
    PageProblem,
    SharpnessTracker,
    check_page,
    correct_page,
    encode_jpeg,
)


def register(subparsers: Any) -> None:
    """Add the `doccam` subcommand with its `capture` and `info` actions."""
    parser = subparsers.add_parser("doccam", help="document camera (高拍仪)")
    actions = parser.add_subparsers(dest="action", required=True)
    for name, func, text in (
        ("capture", _capture, "capture a page, correct it and write it as JPEG"),
        ("info", _info, "open the camera and print what it delivers"),
    ):
        sub = actions.add_parser(name, help=text)
        sub.add_argument(
            "--backend",
            choices=["simulated", "v4l2", "file", "images", "sane"],
            default="simulated",
        )
        sub.add_argument(
            "--path",
            help="device, video file, image pattern (frame_%%03d.jpg) "
            "or SANE device name (scanimage -L)",
        )
        sub.add_argument("--dpi", type=int, default=300, help="sane: scan resolution")
        sub.add_argument("--width", type=int, default=0, help="requested width (0: highest)")
        sub.add_argument("--height", type=int, default=0, help="requested height (0: highest)")
        sub.add_argument("--seed", type=int, default=0, help="simulated: which documents")
        sub.set_defaults(func=func)
        if name == "capture":
            sub.add_argument("--out", type=Path, required=True, help="JPEG file to write")
            sub.add_argument("--mode", choices=[m.value for m in PageMode], default="colour")
            sub.add_argument("--quality", type=int, default=85)
            sub.add_argument(
                "--auto",
                type=float,
                default=0.0,
                metavar="SECONDS",
                help="wait up to SECONDS for auto-capture (page found, steady, sharp)",
            )


def _config(args: argparse.Namespace) -> DocumentCameraConfig:
    return DocumentCameraConfig(
        backend=args.backend,
        path=args.path,
        width=args.width,
        height=args.height,
        seed=args.seed,
        dpi=args.dpi,
    )


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)


async def _info(args: argparse.Namespace) -> int:
    try:
        camera = open_document_camera(_config(args))
        await camera.open()
        try:
            await camera.next_frame()
            print(json.dumps(camera.info().to_dict(), ensure_ascii=False))
        finally:
            await camera.close()
    except DocumentCameraError as exc:
        print(json.dumps({"error": str(exc)}, ensure_ascii=False))
        return 1
    return 0


async def _capture(args: argparse.Namespace) -> int:
    try:
        camera = open_document_camera(_config(args))
        await camera.open()
        try:
            result = await capture_page(
                camera, args.out, PageMode(args.mode), args.quality, args.auto
            )
        finally:
            await camera.close()
    except DocumentCameraError as exc:
        print(json.dumps({"error": str(exc)}, ensure_ascii=False))
        return 1
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["written"] else 2


async def capture_page(
    camera: DocumentCamera, out: Path, mode: PageMode, quality: int = 85, auto: float = 0.0
) -> dict[str, Any]:
    """Capture (after auto-capture fires if `auto` > 0 seconds), check, correct, write JPEG.

    Returns the JSON-ready report; the file is written only when a page was found and
    is not cut off (a blurred or glared page is written but reported).
    """
    timings: dict[str, float] = {}
    if auto > 0:
        t0 = time.perf_counter()
        fired = await wait_auto_capture(camera, auto)
        timings["auto_wait_ms"] = _ms(t0)
        if not fired:
            return {"written": False, "check": None, "timings": timings, "auto_fired": False}
    t0 = time.perf_counter()
    frame = await camera.capture()
    timings["capture_ms"] = _ms(t0)
    loop = asyncio.get_running_loop()
    report: dict[str, Any] = {
        "frame": [int(frame.shape[1]), int(frame.shape[0])],
        "check": None,
        "timings": timings,
        "written": False,
    }
    if camera.flat:  # a flatbed scan is the page already: nothing to find
        corners = Corners.full_frame(frame.shape)
    else:
        t0 = time.perf_counter()
        check = await loop.run_in_executor(None, check_page, frame)
        timings["find_check_ms"] = _ms(t0)
        report["check"] = check.to_dict()
        if check.corners is None or PageProblem.CUT_OFF in check.problems:
            return report
        corners = check.corners
    t0 = time.perf_counter()
    page: np.ndarray = await loop.run_in_executor(None, lambda: correct_page(frame, corners, mode))
    timings["correct_ms"] = _ms(t0)
    t0 = time.perf_counter()
    data = encode_jpeg(page, quality)
    timings["encode_ms"] = _ms(t0)
    await loop.run_in_executor(None, out.write_bytes, data)
    report.update(written=True, out=str(out), page=[int(page.shape[1]), int(page.shape[0])])
    report["bytes"] = len(data)
    return report


async def wait_auto_capture(camera: DocumentCamera, timeout: float) -> bool:
    """Watch the preview until auto-capture fires (True) or `timeout` seconds pass (False)."""
    auto = AutoCapture()
    tracker = SharpnessTracker()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        frame = await camera.next_frame(max(0.1, deadline - loop.time()))
        check = await loop.run_in_executor(None, check_page, frame, tracker)
        if auto.update(check, frame.shape):
            return True
    return False
