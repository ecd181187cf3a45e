"""Video and audio sources: pacing, file looping, no backlog, clear errors."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from shared.media import (
    AudioSourceConfig,
    SilenceAudioSource,
    VideoSourceConfig,
    VideoSourceError,
    open_audio_source,
    open_video_source,
)
from shared.media.synthetic import set_label_renderer
from tests.support.waiting import until

pytestmark = pytest.mark.timeout(30)


async def test_synthetic_is_paced_and_moves() -> None:
    source = open_video_source(VideoSourceConfig(width=160, height=120, fps=20, label="Kiosk"))
    assert source.latest() is None
    started = time.monotonic()
    await asyncio.wait_for(source.start(), 5)
    try:
        await until(lambda: source.frames_captured() >= 12, "12 frames")
        # Paced at 20 a second: never ahead of the clock (a loaded machine only lags).
        count, elapsed = source.frames_captured(), time.monotonic() - started
        assert count <= 20 * elapsed + 2, (count, elapsed)
        first = source.latest()
        assert first is not None
        assert first.shape == (120, 160, 3)
        assert first.dtype == np.uint8
        await until(lambda: not np.array_equal(first, source.latest()), "the picture to move")
    finally:
        await asyncio.wait_for(source.stop(), 5)
    stopped = source.frames_captured()
    await asyncio.sleep(0.2)  # not a wait: watching that no frame comes after the stop
    assert source.frames_captured() == stopped
    await source.stop()  # idempotent


async def test_label_renderer_hook() -> None:
    calls: list[str] = []

    def renderer(text: str, height: int) -> np.ndarray:
        calls.append(text)
        return np.full((height, height * len(text)), 255, dtype=np.uint8)

    set_label_renderer(renderer)
    try:
        source = open_video_source(VideoSourceConfig(width=160, height=120, fps=15, label="居民"))
        await asyncio.wait_for(source.start(), 5)
        await until(lambda: source.latest() is not None, "a first frame")
        await source.stop()
        frame = source.latest()
        assert frame is not None
        assert calls == ["居民"]
        assert (frame[10:15, 10:20] == 0).all()  # the mask was stamped in black
    finally:
        set_label_renderer(None)


async def test_track_sends_newest_frame_to_a_slow_consumer() -> None:
    source = open_video_source(VideoSourceConfig(width=64, height=48, fps=30))
    await asyncio.wait_for(source.start(), 5)
    track = source.create_track()
    try:
        await asyncio.wait_for(track.recv(), 2)
        await asyncio.sleep(0.5)  # not a wait: a slow consumer, ~15 frames go by
        produced = source.frames_captured()
        frame = await asyncio.wait_for(track.recv(), 2)
        # The frame is the newest one, not the frame after the last one consumed.
        assert np.array_equal(frame.to_ndarray(format="rgb24"), source.latest())
        assert source.frames_captured() - produced <= 1
        # and then it waits for the next captured frame instead of replaying a queue.
        second = await asyncio.wait_for(track.recv(), 2)
        assert second.pts > frame.pts
        assert second.time_base is not None
    finally:
        track.stop()
        await asyncio.wait_for(source.stop(), 5)


async def test_track_keeps_sending_when_source_stalls() -> None:
    source = open_video_source(VideoSourceConfig(width=64, height=48, fps=15))
    track = source.create_track()  # never started: black frames at the stall rate
    frame = await asyncio.wait_for(track.recv(), 2)
    assert frame.width == 64 and frame.height == 48
    t0 = time.monotonic()
    await asyncio.wait_for(track.recv(), 2)
    assert time.monotonic() - t0 > 0.3  # the stall rate: not at once (load only slows it)
    track.stop()


def _write_video(path: Path, frames: int, size: tuple[int, int] = (80, 60)) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 15, size)
    assert writer.isOpened()
    for i in range(frames):
        img = np.zeros((size[1], size[0], 3), dtype=np.uint8)
        img[:, :, 2] = 40 * i  # BGR: red grows frame by frame
        writer.write(img)
    writer.release()


async def test_file_source_reads_and_loops(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    _write_video(path, 5)
    source = open_video_source(
        VideoSourceConfig(kind="file", path=str(path), width=80, height=60, fps=30)
    )
    await asyncio.wait_for(source.start(), 5)
    reds = []
    try:
        last = 0
        deadline = time.monotonic() + 5
        while len(reds) < 14 and time.monotonic() < deadline:
            last = await source.wait_frame(last, 1.0)
            frame = source.latest()
            assert frame is not None
            reds.append(int(frame[..., 0].mean()))  # RGB: red is channel 0
    finally:
        await asyncio.wait_for(source.stop(), 5)
    assert len(reds) >= 14
    assert frame.shape == (60, 80, 3)
    # 5 frames, then from the start again: the red ramp drops back (looping at EOF).
    drops = [i for i in range(1, len(reds)) if reds[i] < reds[i - 1] - 60]
    assert len(drops) >= 2, reds


async def test_file_source_resizes_to_configured_size(tmp_path: Path) -> None:
    path = tmp_path / "big.avi"
    _write_video(path, 3, size=(96, 72))
    source = open_video_source(
        VideoSourceConfig(kind="file", path=str(path), width=48, height=36, fps=15)
    )
    await asyncio.wait_for(source.start(), 5)
    try:
        await asyncio.wait_for(source.wait_frame(0, 2), 3)
        frame = source.latest()
        assert frame is not None and frame.shape == (36, 48, 3)
    finally:
        await asyncio.wait_for(source.stop(), 5)


async def test_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(VideoSourceError, match="path"):
        open_video_source(VideoSourceConfig(kind="file"))
    missing = open_video_source(VideoSourceConfig(kind="file", path=str(tmp_path / "no.avi")))
    with pytest.raises(VideoSourceError, match="not found"):
        await asyncio.wait_for(missing.start(), 5)
    camera = open_video_source(VideoSourceConfig(kind="v4l2", path=str(tmp_path / "video99")))
    with pytest.raises(VideoSourceError, match="cannot open"):
        await asyncio.wait_for(camera.start(), 10)
    assert not camera.running
    with pytest.raises(ValueError):
        VideoSourceConfig(kind="webcam")  # type: ignore[arg-type]


async def test_audio_is_optional() -> None:
    assert open_audio_source(None) is None
    assert open_audio_source(AudioSourceConfig()) is None
    assert open_audio_source(AudioSourceConfig(kind="alsa")) is None  # no device configured
    silence = open_audio_source(AudioSourceConfig(kind="silence"))
    assert isinstance(silence, SilenceAudioSource)
    await silence.start()
    track = silence.create_track()
    frame = await asyncio.wait_for(track.recv(), 2)
    assert frame.sample_rate > 0
    track.stop()
    await silence.stop()
