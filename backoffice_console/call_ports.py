"""What the console's controller needs of the hub client and of the rtc stack, as protocols.

Tests hand the controller stand-ins that satisfy these; the app hands it the factories
below, which make `shared.hubclient.HubClient` and `shared.rtc.CallPeer`. (The kiosk's
counterpart is `kiosk/call_ports.py`.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from shared.hubclient import ConnectionHandler, HubClient, MessageHandler
from shared.protocol import CallState, IceServer, Welcome


class PeerLike(Protocol):
    """The part of `shared.rtc.CallPeer` the controller uses."""

    state: CallState
    reconnects: int

    async def start(self) -> None: ...
    async def handle_offer(self, sdp: str) -> None: ...
    async def close(self) -> None: ...
    def stats(self) -> dict[str, object]: ...


class SignalingLike(Protocol):
    """What a peer uses to send SDP (see `shared.rtc.CallSignaling`)."""

    async def send_offer(self, sdp: str) -> None: ...
    async def send_answer(self, sdp: str) -> None: ...


PeerFactory = Callable[
    [list[IceServer], SignalingLike, Callable[[CallState], None]],
    PeerLike,
]
"""Builds the answering peer of a session: (ice servers, signaling, on_state) -> peer."""


class HubLike(Protocol):
    """The part of `shared.hubclient.HubClient` the controller uses."""

    welcome: Welcome | None
    ended: str | None
    """Why the hub ended this client's log-in (logout, revoked...), None while it holds."""

    async def login_officer(
        self, username: str, password: str, *, totp_code: str | None = None
    ) -> dict[str, Any]: ...
    async def connect(self) -> Welcome: ...
    async def request(self, message: Any, timeout: float = 10.0) -> Any: ...
    async def send(self, message: Any) -> None: ...
    async def get_json(self, path: str, **params: str) -> Any: ...
    async def post_json(self, path: str, payload: dict[str, Any]) -> Any: ...
    async def close(self) -> None: ...


HubFactory = Callable[[MessageHandler, ConnectionHandler], HubLike]


def default_hub_factory(url: str, ca_file: Path | None) -> HubFactory:
    """A factory making the real `HubClient` for `url`."""

    def make(on_message: MessageHandler, on_connection: ConnectionHandler) -> HubLike:
        return HubClient(url, ca_file, on_message, on_connection)

    return make


def rtc_peer_factory(
    video: Any, audio: Any = None, on_audio_frame: Callable[[Any], None] | None = None
) -> PeerFactory:
    """A factory making real `shared.rtc.CallPeer` answerers fed by the officer camera `video`.

    `audio` is the officer's microphone (a `shared.media.AudioSource`, None for none) and
    `on_audio_frame` receives the resident's voice (`shared.media.CallAudio.on_frame`).
    """

    def make(
        ice_servers: list[IceServer],
        signaling: SignalingLike,
        on_state: Callable[[CallState], None],
    ) -> PeerLike:
        # Imported here so the pure controller and its tests do not load aiortc.
        from shared.rtc import CallPeer  # noqa: PLC0415

        peer: PeerLike = CallPeer(
            offerer=False,
            ice_servers=ice_servers,
            video=video,
            signaling=signaling,
            on_state=on_state,
            audio=audio,
            on_audio_frame=on_audio_frame,
        )
        return peer

    return make
