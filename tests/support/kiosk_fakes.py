"""Scripted stand-ins for the hub client and the call peer, for kiosk state-machine tests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, ClassVar

import numpy as np

from shared.hubclient import DeviceCredential, HubUnavailable
from shared.protocol import Ack, CallState, SessionStarted, Welcome
from shared.protocol.messages import Role
from tests.support.waiting import until


class FakeHub:
    """Records what the controller sends; `fail` makes requests raise HubUnavailable."""

    def __init__(self) -> None:
        self.sent: list[Any] = []
        self.fail = False
        self.closed = False
        self.block_offers = False  # like a real hub whose ack waits for our reader
        self.welcome: Welcome | None = Welcome(
            role=Role.KIOSK, subject_id=1, display_name="幸福社区居委会", server_time=_now()
        )

    async def login_device(self, credential: DeviceCredential) -> None:
        return None

    async def connect(self) -> Welcome:
        assert self.welcome is not None
        return self.welcome

    async def send(self, message: Any) -> None:
        if self.fail:
            raise HubUnavailable("down")
        self.sent.append(message)

    async def request(self, message: Any, timeout: float = 10.0) -> Ack:
        if self.fail:
            raise HubUnavailable("down")
        self.sent.append(message)
        if self.block_offers and message.type == "rtc.offer":
            await asyncio.sleep(3600)  # not a wait: an ack that never comes
        return Ack(re="r1")

    async def close(self) -> None:
        self.closed = True

    def types(self) -> list[str]:
        return [m.type for m in self.sent]


class FakeSink:
    def __init__(self) -> None:
        self.frames_received = 0
        self.first_frame_at: float | None = None
        self.last_frame_wall_at: float | None = None
        self.frame: np.ndarray | None = None

    def latest(self) -> np.ndarray | None:
        return self.frame


class FakePeer:
    """A CallPeer stand-in: `connect()` makes it report CONNECTED and a frame."""

    instances: ClassVar[list[FakePeer]] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.remote_video = FakeSink()
        self.state = CallState.CONNECTING
        self.reconnects = 0
        self.started = False
        self.closed = False
        self.answers: list[str] = []
        FakePeer.instances.append(self)

    async def start(self) -> None:
        self.started = True
        await self.kwargs["signaling"].send_offer("v=0 offer")

    async def handle_answer(self, sdp: str) -> None:
        self.answers.append(sdp)

    async def close(self) -> None:
        self.closed = True

    def set_state(self, state: CallState) -> None:
        self.state = state
        self.kwargs["on_state"](state)

    def connect(self, rgb: tuple[int, int, int] = (0, 120, 255), frames: int = 1) -> None:
        """Connected, with `frames` received (the test picks it; the controller passes it on)."""
        frame = np.zeros((120, 160, 3), dtype=np.uint8)
        frame[:, :] = rgb
        self.remote_video.frame = frame
        self.remote_video.frames_received = frames
        self.remote_video.first_frame_at = 1.0
        self.set_state(CallState.CONNECTED)


def _now() -> datetime:
    return datetime.now(UTC)


def session_started(session_id: str = "s1", officer: str = "王警官") -> SessionStarted:
    return SessionStarted(
        session_id=session_id, ticket_id=7, offerer=True, peer_name=officer, ice_servers=[]
    )


async def call_started(controller: Any) -> FakePeer:
    """Waits for the FakePeer a controller starts in a task after `session.started`."""

    def started() -> bool:
        return isinstance(controller.peer, FakePeer) and controller.peer.started

    await until(started, "the call's peer to start")
    peer: FakePeer = controller.peer
    return peer
