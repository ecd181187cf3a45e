"""The document camera as the call's second video track, between real aiortc peers on loopback.

The kiosk-like offerer sends a red face camera and a blue document camera; the
console-like answerer must put each into its own sink (told apart by colour), at the
preview's size and rate, also after the media path is killed and the call re-offers.
The document camera makes frames only while something watches it.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from kiosk.devices.doccam import DocumentCamera, DocumentCameraConfig, SimulatedDocumentCamera
from kiosk.devices.doccam.contract import CameraInfo
from kiosk.materials.doccam_feed import DocCamFeed, preview_size
from shared.media import VideoSource, VideoSourceConfig
from shared.protocol import CallState
from shared.rtc import CallPeer, enable_loopback_mode, memory_signaling_pair
from tests.support.rtc_calls import kill_media_path
from tests.support.waiting import until

pytestmark = pytest.mark.timeout(60)

RED = (230, 30, 30)
BLUE = (30, 40, 220)


@pytest.fixture(autouse=True)
def _loopback() -> None:
    enable_loopback_mode()


class SolidFace(VideoSource):
    """A face camera of one colour."""

    async def _open(self) -> None:
        self.frame = np.full((self.config.height, self.config.width, 3), RED, np.uint8)

    async def _grab(self) -> np.ndarray | None:
        return self.frame.copy()

    async def _close(self) -> None:
        pass


class SolidDocCam(DocumentCamera):
    """A document camera of one colour that idles when unwatched and counts its reads."""

    idle_unwatched = True

    def __init__(self, config: DocumentCameraConfig) -> None:
        super().__init__(config)
        self.reads = 0

    def info(self) -> CameraInfo:
        return CameraInfo("solid", "solid", (1280, 720), (1280, 720))

    def _open_sync(self) -> None:
        pass

    def _read_sync(self) -> np.ndarray | None:
        self.reads += 1
        return np.full((720, 1280, 3), BLUE, np.uint8)

    def _close_sync(self) -> None:
        pass


def colour_of(frame: np.ndarray | None) -> str:
    """The name of the frame's colour ("red", "blue") by the dominant channel of its mean."""
    assert frame is not None
    r, _g, b = frame.reshape(-1, 3).mean(axis=0)
    if r > 150 and b < 100:
        return "red"
    if b > 150 and r < 100:
        return "blue"
    return f"other({r:.0f},{b:.0f})"


async def test_both_tracks_arrive_apart_and_survive_a_reconnect() -> None:
    face = SolidFace(VideoSourceConfig(kind="synthetic", width=160, height=120, fps=15))
    await face.start()
    camera = SolidDocCam(DocumentCameraConfig(fps=15))
    await camera.open()
    opened = 0

    async def open_camera() -> DocumentCamera:
        nonlocal opened
        opened += 1
        return camera

    feed = DocCamFeed(open_camera, fps=5)
    sig_o, sig_a = memory_signaling_pair()
    states: list[CallState] = []
    kiosk = CallPeer(offerer=True, ice_servers=[], video=face, signaling=sig_o, doccam=feed)
    console = CallPeer(
        offerer=False, ice_servers=[], video=None, signaling=sig_a, on_state=states.append
    )
    sig_o.connect(console)
    sig_a.connect(kiosk)
    try:
        # Nobody watches yet: the camera makes no frames.
        await asyncio.sleep(0.3)  # not a wait: watching that nothing is rendered
        assert camera.reads == 0 and camera.frame_count == 0
        await asyncio.wait_for(console.start(), 5)
        await asyncio.wait_for(kiosk.start(), 5)
        assert await console.remote_video.wait_frames(5, timeout=10)
        assert await console.remote_doccam.wait_frames(3, timeout=10)
        assert colour_of(console.remote_video.latest()) == "red"
        assert colour_of(console.remote_doccam.latest()) == "blue"
        assert console.remote_video.size == (160, 120)
        assert console.remote_doccam.size == (960, 540)  # long side capped, 16:9 kept
        assert camera.watchers >= 1
        # About 5 frames a second, never the camera's 15.
        before, t0 = console.remote_doccam.frames_received, time.monotonic()
        await until(lambda: console.remote_doccam.frames_received >= before + 6, "6 more frames")
        rate = (console.remote_doccam.frames_received - before) / (time.monotonic() - t0)
        assert rate <= 7.5, rate  # a loaded machine only lowers it
        assert console.stats()["doccam_frames_received"] == console.remote_doccam.frames_received

        # The media path dies; the kiosk offers again under the same session.
        assert kill_media_path(console) > 0
        await until(
            lambda: kiosk.reconnects >= 1 and kiosk.state == CallState.CONNECTED, timeout=15
        )
        await until(lambda: states[-1:] == [CallState.CONNECTED] and console.reconnects >= 1)
        face_n = console.remote_video.frames_received
        doc_n = console.remote_doccam.frames_received
        assert await console.remote_video.wait_frames(face_n + 5, timeout=10)
        assert await console.remote_doccam.wait_frames(doc_n + 3, timeout=10)
        assert colour_of(console.remote_video.latest()) == "red"
        assert colour_of(console.remote_doccam.latest()) == "blue"
        assert feed.tracks_made == 2
        assert kiosk.stats()["offers_sent"] == 2
    finally:
        await asyncio.wait_for(kiosk.close(), 10)
        await asyncio.wait_for(console.close(), 10)
        await sig_o.close()
        await sig_a.close()
        await face.stop()
    # The call is over: the tracks let go of the camera, which stops making frames.
    assert camera.watchers == 0
    await asyncio.sleep(0.2)  # not a wait: a read in flight may finish
    reads = camera.reads
    await asyncio.sleep(0.4)  # not a wait: watching that no read follows
    assert camera.reads == reads
    await camera.close()


async def test_doccam_without_a_face_camera_and_without_a_doccam() -> None:
    """No face camera: the doc-cam still lands in its own sink. No doc camera: dark frames."""
    camera = SolidDocCam(DocumentCameraConfig(fps=15))
    await camera.open()

    async def present() -> DocumentCamera:
        return camera

    async def absent() -> None:
        return None

    for opener, expect in ((present, "blue"), (absent, "dark")):
        sig_o, sig_a = memory_signaling_pair()
        kiosk = CallPeer(
            offerer=True, ice_servers=[], video=None, signaling=sig_o, doccam=DocCamFeed(opener)
        )
        console = CallPeer(offerer=False, ice_servers=[], video=None, signaling=sig_a)
        sig_o.connect(console)
        sig_a.connect(kiosk)
        try:
            await asyncio.wait_for(console.start(), 5)
            await asyncio.wait_for(kiosk.start(), 5)
            assert await console.remote_doccam.wait_frames(1, timeout=10)
            frame = console.remote_doccam.latest()
            if expect == "blue":
                assert colour_of(frame) == "blue"
            else:
                assert frame is not None and float(frame.mean()) < 40
            assert console.remote_video.frames_received == 0
        finally:
            await asyncio.wait_for(kiosk.close(), 10)
            await asyncio.wait_for(console.close(), 10)
            await sig_o.close()
            await sig_a.close()
    await camera.close()


async def test_simulated_camera_renders_only_while_watched() -> None:
    camera = SimulatedDocumentCamera(DocumentCameraConfig(fps=20, width=320, height=180))
    await camera.open()
    try:
        await asyncio.sleep(0.3)  # not a wait: watching that nothing is rendered
        assert camera.frame_count == 0  # open but unwatched: no rendering
        camera.watch()
        await until(lambda: camera.frame_count >= 3, timeout=5)
        camera.unwatch()
        await asyncio.sleep(0.15)  # not a wait: a frame in flight may finish
        settled = camera.frame_count
        await asyncio.sleep(0.4)  # not a wait: watching that rendering stopped
        assert camera.frame_count <= settled + 1
        # A waiter in next_frame counts as watching, and gets a fresh frame.
        frame = await camera.next_frame(2.0)
        assert frame.shape == (180, 320, 3)
        assert camera.watchers == 0
    finally:
        await camera.close()


def test_preview_size_caps_the_long_side_and_keeps_even_sizes() -> None:
    assert preview_size(1280, 720) == (960, 540)
    assert preview_size(3000, 4000) == (720, 960)
    assert preview_size(640, 480) == (640, 480)
    assert preview_size(1001, 333, 500) == (500, 166)
    with pytest.raises(ValueError):
        DocCamFeed(lambda: None, fps=0)  # type: ignore[arg-type,return-value]
