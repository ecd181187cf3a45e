"""What the kiosk's controller needs of the hub client and of the rtc stack, as protocols.

Tests hand the controller stand-ins that satisfy these; the app hands it
`shared.hubclient.HubClient` and `shared.rtc.CallPeer`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from shared.hubclient import DeviceCredential
from shared.protocol import Ack, CallState, RtcOffer, Welcome


class HubPort(Protocol):
    """The part of `shared.hubclient.HubClient` the controller uses."""

    welcome: Welcome | None

    async def login_device(self, credential: DeviceCredential) -> None: ...

    async def connect(self) -> Welcome: ...

    async def send(self, message: Any) -> None: ...

    async def request(self, message: Any, timeout: float = 10.0) -> Ack: ...

    async def close(self) -> None: ...


class FrameSinkLike(Protocol):
    """What the controller reads from `shared.rtc.FrameSink`."""

    frames_received: int
    first_frame_at: float | None
    last_frame_wall_at: float | None

    def latest(self) -> Any: ...


class PeerLike(Protocol):
    """What the controller uses of `shared.rtc.CallPeer`."""

    state: CallState
    reconnects: int

    @property
    def remote_video(self) -> FrameSinkLike: ...

    async def start(self) -> None: ...

    async def handle_answer(self, sdp: str) -> None: ...

    async def close(self) -> None: ...


PeerFactory = Callable[..., PeerLike]
"""Called like `CallPeer(offerer=True, ice_servers=..., video=..., signaling=..., on_state=...)`."""


def default_peer_factory(**kwargs: Any) -> PeerLike:
    """A real `shared.rtc.CallPeer`."""
    from shared.rtc import CallPeer  # noqa: PLC0415 - the rtc stack is heavy; load it when needed

    peer: PeerLike = CallPeer(**kwargs)
    return peer


class HubSignaling:
    """Relays this kiosk's offers to the officer through the hub."""

    def __init__(self, hub: HubPort, session_id: str) -> None:
        self._hub = hub
        self._session_id = session_id

    async def send_offer(self, sdp: str) -> None:
        await self._hub.request(RtcOffer(session_id=self._session_id, sdp=sdp))

    async def send_answer(self, sdp: str) -> None:
        # The kiosk always offers; an answer from it would be a programming error.
        raise RuntimeError("the kiosk does not answer offers")


def empty_stats() -> dict[str, Any]:
    """The report fields (see the kiosk brief), all unset."""
    return {
        "session_id": None,
        "start_clicked_at": None,
        "session_started_at": None,
        "first_connected_at": None,
        "first_remote_frame_at": None,
        "last_remote_frame_at": None,
        "frames_received": 0,
        "frames_painted": 0,
        "reconnects": 0,
        "ended_reason": None,
        "ended_by": None,
        "hung_up_at": None,
        "identity_reports": 0,
    }
