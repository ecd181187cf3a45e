"""Checks of the kiosk's machine: screens, sound, free disk, backlogs and software version."""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np

from kiosk.health.base import result
from shared.config import AudioSinkConfig, AudioSourceConfig
from shared.media import open_audio_source
from shared.media.audio import AudioSource, AudioSourceError, ToneTrack
from shared.media.playback import AudioSink, AudioSinkError, open_audio_sink
from shared.protocol.health import CheckResult, CheckStatus
from shared.version import package_version

ScreenProvider = Callable[[], Awaitable[list[str]]]
"""Returns the names of the screens the display server offers now."""

SILENT_DBFS = -70.0
"""A microphone whose level stays below this hears nothing at all (unplugged or muted)."""


# --- screens ----------------------------------------------------------------------------


async def check_screens(provider: ScreenProvider, face: str, touch: str) -> CheckResult:
    """Both screens present, and each named in the config found (else it falls back)."""
    part = "screens"
    try:
        names = await provider()
    except (OSError, RuntimeError, ValueError) as exc:
        return result(part, CheckStatus.FAILED, "screens.unknown", None, detail=str(exc))
    value = ", ".join(names) or "-"
    if len(names) < 2:
        return result(part, CheckStatus.FAILED, "screens.missing", value, count=len(names))
    missing = [n for n in (face, touch) if n not in names]
    if face == touch or missing:
        return result(
            part, CheckStatus.WARNING, "screens.unassigned", value, names=", ".join(missing)
        )
    return result(part, CheckStatus.OK, "screens.ok", value, face=face, touch=touch)


def qt_screen_provider(timeout: float = 15.0) -> ScreenProvider:
    """Lists screens with Qt in a child process (`python -m kiosk.ui.screens_probe`).

    The child keeps Qt out of this process (the checks are Qt-free). Without a display
    (no DISPLAY or WAYLAND_DISPLAY and no QT_QPA_PLATFORM) it uses the offscreen platform.
    """

    async def provide() -> list[str]:
        env = dict(os.environ)
        if not any(env.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
            env["QT_QPA_PLATFORM"] = "offscreen"
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kiosk.ui.screens_probe",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            async with asyncio.timeout(timeout):
                out, err = await proc.communicate()
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise RuntimeError("listing the screens timed out") from None
        if proc.returncode != 0:
            raise RuntimeError(err.decode(errors="replace").strip()[-150:] or "Qt failed")
        names = json.loads(out)
        if not isinstance(names, list):
            raise ValueError("the screen list is not a list")
        return [str(n) for n in names]

    return provide


# --- sound ------------------------------------------------------------------------------


def _dbfs(samples: np.ndarray) -> float:
    data = samples.astype(np.float64)
    if samples.dtype == np.int16:
        data /= 32768.0
    rms = math.sqrt(float(np.mean(data * data))) if data.size else 0.0
    return 20.0 * math.log10(rms) if rms > 0 else -120.0


async def check_microphone(
    config: AudioSourceConfig, source: AudioSource | None = None, seconds: float = 0.5
) -> CheckResult:
    """The microphone's level (dBFS) over `seconds`; not present when audio is off."""
    part = "audio.mic"
    own = source is None
    if source is None:
        source = open_audio_source(config)
        if source is None:
            return result(part, CheckStatus.ABSENT, "mic.absent")
    try:
        if own:
            await source.start()
        track = source.create_track()
        levels: list[float] = []
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                frame = await track.recv()
                levels.append(_dbfs(frame.to_ndarray()))  # type: ignore[union-attr]
        finally:
            track.stop()
    except (AudioSourceError, OSError) as exc:
        return result(part, CheckStatus.FAILED, "mic.failed", None, detail=str(exc))
    finally:
        if own:
            await source.stop()
    level = max(levels) if levels else -120.0
    value = f"{level:.1f} dBFS ({config.kind})"
    if level < SILENT_DBFS:
        return result(part, CheckStatus.WARNING, "mic.silent", value)
    return result(part, CheckStatus.OK, "mic.ok", value, level=f"{level:.0f}")


async def check_speaker(
    config: AudioSinkConfig, sink: AudioSink | None = None, seconds: float = 0.5
) -> CheckResult:
    """Plays a 1 kHz test tone for `seconds` (own sink only); not present when audio is off."""
    part = "audio.speaker"
    if sink is not None:
        # The kiosk's own loudspeaker may be in a call: report it, play nothing into it.
        stats = sink.stats()
        return result(part, CheckStatus.OK, "speaker.open", f"{stats.get('errors', 0)} errors")
    try:
        sink = open_audio_sink(config)
    except AudioSinkError as exc:
        return result(part, CheckStatus.FAILED, "speaker.failed", None, detail=str(exc))
    if sink is None:
        return result(part, CheckStatus.ABSENT, "speaker.absent")
    tone = ToneTrack(1000.0, amplitude=0.2, sample_rate=config.sample_rate)
    try:
        await sink.start()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            sink.write(await tone.recv())
    except (AudioSinkError, OSError) as exc:
        return result(part, CheckStatus.FAILED, "speaker.failed", None, detail=str(exc))
    finally:
        tone.stop()
        await sink.stop()
    stats = sink.stats()
    value = f"{float(stats['seconds_written']):.2f} s tone, {stats['errors']} errors"
    if stats["errors"] or not stats["frames_written"]:
        return result(part, CheckStatus.FAILED, "speaker.failed", value, detail=value)
    return result(part, CheckStatus.OK, "speaker.ok", value)


# --- disk, backlogs, version ------------------------------------------------------------


def check_disk(folder: Path, warn_mb: int, fail_mb: int) -> CheckResult:
    """Free space where the kiosk keeps its state (the outbox and the print queue)."""
    part = "disk"
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    usage = shutil.disk_usage(probe)
    free_mb = usage.free // (1024 * 1024)
    value = f"{free_mb} MB free of {usage.total // (1024 * 1024)} MB"
    if free_mb < fail_mb:
        return result(part, CheckStatus.FAILED, "disk.full", value, free=free_mb)
    if free_mb < warn_mb:
        return result(part, CheckStatus.WARNING, "disk.low", value, free=free_mb)
    return result(part, CheckStatus.OK, "disk.ok", value, free=free_mb)


def check_backlog(part: str, count: int | None, warn: int) -> CheckResult:
    """Pages waiting in the outbox, or documents waiting in the print queue."""
    if count is None:
        return result(part, CheckStatus.OK, f"{part}.none", "0")
    value = str(count)
    if count >= warn:
        return result(part, CheckStatus.WARNING, f"{part}.backlog", value, count=count)
    return result(part, CheckStatus.OK, f"{part}.ok", value, count=count)


def check_version(version: str | None = None) -> CheckResult:
    """The software version this kiosk runs (always ok; the hub compares across kiosks)."""
    found = version or package_version()
    status = CheckStatus.WARNING if found == "unknown" else CheckStatus.OK
    return result("version", status, "version.ok", found, version=found)
