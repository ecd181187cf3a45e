"""A flatbed scanner as the document camera, through SANE's `scanimage` (Debian: sane-utils).

A flatbed has no live picture: the "preview" is a quick low-resolution scan made when
the scanner is opened and after every still (the last scan is what the touch screen and
the officer see), and a still is a full scan at `dpi`. `scanimage` runs as a child
process per scan with its arguments as a list (never a shell), writing its PNM and its
errors to files of a private folder; `sane_options` come last, so they can override
(a backend whose colour mode is not called `Color`). The scanner's own failures (feeder
jammed, cover open, no paper, busy, I/O) become `CaptureError`s that say so in plain
words; a device that is not there is a `CameraNotFoundError` at `open()`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from kiosk.devices.doccam.config import DocumentCameraConfig
from kiosk.devices.doccam.contract import (
    CameraInfo,
    CameraNotFoundError,
    CaptureError,
    DocumentCamera,
    DocumentCameraError,
)

log = logging.getLogger(__name__)

SCANIMAGE = "scanimage"

LIST_TIMEOUT_S = 20.0
"""`scanimage -L` probes every configured backend; USB and network ones take seconds."""

POLL_S = 0.1
"""How often a running scan's error output is looked at."""

ERROR_GRACE_S = 2.0
"""How long scanimage may still take to exit after it reported a failure."""

_ERROR_LINE = re.compile(r"scanimage: (sane_\w+|open of device)")

_FAILURES = (
    ("jammed", "the scanner's document feeder is jammed"),
    ("cover is open", "the scanner's cover is open"),
    ("out of documents", "there is no page in the scanner's feeder"),
    ("device busy", "the scanner is busy (another program is using it)"),
    ("error during device i/o", "the scanner stopped answering (device I/O error)"),
    ("access to resource has been denied", "no permission to use the scanner"),
)


def _plain(stderr: str) -> str:
    """What went wrong, in plain words, from scanimage's error output."""
    text = stderr.lower()
    for needle, message in _FAILURES:
        if needle in text:
            return message
    lines = [line for line in stderr.splitlines() if line.strip() and "output format" not in line]
    return f"the scan failed: {lines[-1].strip() if lines else 'no reason given'}"


def _wait(process: subprocess.Popen[bytes], errors: Path, timeout: float) -> int | None:
    """scanimage's exit status, or None when it is still running after `timeout` seconds,
    or `ERROR_GRACE_S` after it reported a failure (SANE's threaded backends can hang in
    their clean-up after an error: the reason is known, the wait would be for nothing)."""
    deadline = time.monotonic() + timeout
    give_up: float | None = None
    while True:
        try:
            return process.wait(timeout=POLL_S)
        except subprocess.TimeoutExpired:
            now = time.monotonic()
            if give_up is None and _ERROR_LINE.search(errors.read_text("utf-8", "replace")):
                give_up = now + ERROR_GRACE_S
            if now >= deadline or (give_up is not None and now >= give_up):
                return None


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """Kill what is left of a failed scan's process group, and reap scanimage."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


class SaneFlatbed(DocumentCamera):
    """`backend="sane"`: see the module docstring and `DocumentCameraConfig`."""

    flat = True

    def __init__(self, config: DocumentCameraConfig) -> None:
        super().__init__(config)
        if config.backend != "sane":
            raise DocumentCameraError(f"not a SANE backend: {config.backend}")
        self._device = config.path or ""
        self._pending: np.ndarray | None = None
        self._preview_size = (0, 0)
        self._still_size = (0, 0)

    def info(self) -> CameraInfo:
        """Backend, SANE device name, and the sizes of the last preview scan and still."""
        return CameraInfo(
            backend="sane",
            device=self._device,
            preview_size=self._preview_size,
            still_size=self._still_size,
        )

    # --- worker-thread hooks -------------------------------------------------------

    def _open_sync(self) -> None:
        if shutil.which(SCANIMAGE) is None:
            raise CameraNotFoundError("scanimage is not installed (Debian package sane-utils)")
        devices = self._devices()
        if not self._device:
            if not devices:
                raise CameraNotFoundError("no SANE scanner found")
            self._device = devices[0]
        elif self._device not in devices:
            found = ", ".join(devices) or "none"
            raise CameraNotFoundError(f"no SANE scanner {self._device!r} (found: {found})")
        # The first preview, so the screen shows what lies on the glass.
        try:
            self._pending = self._scan(self.config.preview_dpi)
        except CaptureError as exc:
            raise CameraNotFoundError(f"the scanner {self._device!r} cannot scan: {exc}") from exc
        self._preview_size = (self._pending.shape[1], self._pending.shape[0])

    def _read_sync(self) -> np.ndarray | None:
        # No live picture: the newest scan is published once.
        frame, self._pending = self._pending, None
        return frame

    def _close_sync(self) -> None:
        self._pending = None

    async def _capture_still(self) -> np.ndarray:
        still = await self._call(lambda: self._scan(self.config.dpi))
        self._still_size = (still.shape[1], still.shape[0])
        # The screen and the officer see what was scanned, at the preview's resolution.
        scale = self.config.preview_dpi / self.config.dpi
        size = (max(1, round(still.shape[1] * scale)), max(1, round(still.shape[0] * scale)))
        self._pending = cv2.resize(still, size, interpolation=cv2.INTER_AREA)
        return still

    # --- scanimage -------------------------------------------------------------------

    def _devices(self) -> list[str]:
        try:
            listed = subprocess.run(
                [SCANIMAGE, "--formatted-device-list=%d%n", "-L"],
                capture_output=True,
                text=True,
                timeout=LIST_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CameraNotFoundError(f"cannot list SANE scanners: {exc}") from exc
        return [line.strip() for line in listed.stdout.splitlines() if line.strip()]

    def _scan(self, dpi: int) -> np.ndarray:
        """One scan at `dpi` as an RGB array; raises CaptureError with the reason."""
        command = [
            SCANIMAGE,
            "--device-name",
            self._device,
            "--format=pnm",
            "--mode",
            "Color",
            "--depth",
            "8",
            "--resolution",
            str(dpi),
            *self.config.sane_options,
        ]
        # Output into files, not pipes: a SANE backend's reader process may outlive a
        # failed scanimage and hold an inherited pipe open. Its own process group lets
        # the scan, and any such straggler, be stopped together.
        with tempfile.TemporaryDirectory(prefix="vw-scan-") as folder:
            out_path, err_path = Path(folder) / "scan.pnm", Path(folder) / "errors.txt"
            with out_path.open("wb") as out, err_path.open("wb") as err:
                try:
                    process = subprocess.Popen(
                        command,
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=err,
                        start_new_session=True,
                    )
                except OSError as exc:
                    raise CaptureError(f"cannot run scanimage: {exc}") from exc
                code = _wait(process, err_path, self.config.scan_timeout)
                if code != 0:  # hung or failed: no reader of the scan may linger
                    _stop_group(process)
            errors = err_path.read_text("utf-8", "replace")
            if code is None and not _ERROR_LINE.search(errors):
                raise CaptureError(
                    f"the scanner did not finish within {self.config.scan_timeout:g} s"
                )
            if code != 0:
                reason = _plain(errors)
                log.warning("scan on %s failed: %s", self._device, reason)
                raise CaptureError(reason)
            data = out_path.read_bytes()
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if image is None or image.size == 0:
            raise CaptureError("the scanner sent no readable image")
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
