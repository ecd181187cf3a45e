"""A transferred call with real media: kiosk controller, two console controllers, real aiortc.

After the transfer the kiosk builds a new peer connection under the same session and
the new officer receives the resident's video (and the resident the new officer's).
All in one process with an in-process hub, but every side is real: hence tests/e2e/.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from backoffice_console.app import ConsoleController
from backoffice_console.call_ports import default_hub_factory, rtc_peer_factory
from backoffice_console.model import ConsoleError
from backoffice_console.routing import RoutingDesk
from kiosk.app import KioskController, KioskState
from shared.hubclient import HubClient
from shared.media import VideoSourceConfig, open_video_source
from shared.rtc import enable_loopback_mode
from tests.support.hub_fixtures import PASSWORD, HubHarness, hub_fixture  # noqa: F401
from tests.support.waiting import until

WAIT = 10.0


def frames(peer: Any) -> int:
    return int(peer.remote_video.frames_received) if peer is not None else 0


@contextlib.asynccontextmanager
async def console(hub: HubHarness, username: str, label: str) -> AsyncIterator[ConsoleController]:
    await hub.user(username, name=f"officer {username}")
    video = open_video_source(VideoSourceConfig(width=160, height=120, label=label))
    await video.start()
    controller = ConsoleController(default_hub_factory(hub.url, hub.ca), rtc_peer_factory(video))
    try:
        await asyncio.wait_for(controller.login(username, PASSWORD), WAIT)
        yield controller
    finally:
        await asyncio.wait_for(controller.close(), WAIT)
        await video.stop()


@contextlib.asynccontextmanager
async def kiosk(hub: HubHarness) -> AsyncIterator[KioskController]:
    credential = await hub.kiosk_credential("K1")
    video = open_video_source(VideoSourceConfig(width=160, height=120, label="K"))
    holder: dict[str, KioskController] = {}

    async def on_message(message: Any) -> None:
        await holder["c"].handle_message(message)

    async def on_connection(up: bool) -> None:
        await holder["c"].handle_connection(up)

    client = HubClient(hub.url, hub.ca, on_message, on_connection)
    controller = KioskController(client, video=video, credential=credential)
    holder["c"] = controller
    try:
        await asyncio.wait_for(controller.start(), WAIT)
        await until(lambda: controller.state == KioskState.IDLE, "kiosk online")
        yield controller
    finally:
        await asyncio.wait_for(controller.shutdown(), WAIT)


async def test_video_flows_to_the_new_officer_after_a_transfer(hub: HubHarness) -> None:
    enable_loopback_mode()
    async with (
        console(hub, "o1", "O1") as c1,
        console(hub, "o2", "O2") as c2,
        kiosk(hub) as k,
    ):
        assert await asyncio.wait_for(k.start_service(), WAIT)
        await until(lambda: bool(c1.queue), "the ticket in o1's queue")
        desk1 = RoutingDesk(c1)
        await asyncio.wait_for(desk1.take_next(), WAIT)
        await until(lambda: frames(c1.peer) > 3 and frames(k.peer) > 3, "media o1 <-> kiosk")
        assert c1.call is not None
        session_id = c1.call.session_id
        first_kiosk_peer = k.peer

        targets = await asyncio.wait_for(desk1.targets(), WAIT)
        assert [o.display_name for o in targets.officers] == ["officer o2"]
        o2_id = targets.officers[0].id
        with pytest.raises(ConsoleError) as err:  # nobody with that id is online
            await desk1.transfer(to_officer_id=o2_id + 100)
        assert err.value.key == "error.not_found"
        assert c1.call is not None and c2.call is None

        await asyncio.wait_for(desk1.transfer(to_officer_id=o2_id, note="转医保"), WAIT)
        await until(lambda: c1.call is None, "o1's call to end")
        await until(lambda: c2.call is not None, "o2's call to start")
        assert c2.call is not None and c2.call.session_id == session_id
        await until(lambda: k.peer is not first_kiosk_peer, "a new kiosk peer")
        await until(lambda: frames(c2.peer) > 3, "the resident's video at o2")
        before = frames(k.peer)
        await until(lambda: frames(k.peer) > before + 3, "o2's video at the kiosk")
        assert k.state == KioskState.IN_CALL and k.session_id == session_id
        assert k.officer_name == "officer o2"
        await asyncio.wait_for(c2.hang_up(), WAIT)
        await until(lambda: k.state != KioskState.IN_CALL, "the kiosk to leave the call")
