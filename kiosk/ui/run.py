"""The kiosk's main coroutine on the Qt loop: wiring of hub client, camera, controller and UI."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtWidgets import QApplication

from kiosk.app import KioskController, PeerFactory, PeerLike
from kiosk.config import KioskConfig
from kiosk.health.monitor import monitor_for_kiosk
from kiosk.materials import CaptureDesk, Outbox
from kiosk.rating import RatingDesk
from kiosk.ui.autopilot import Autopilot, AutopilotOptions
from kiosk.ui.kiosk_ui import KioskUi
from shared.hubclient import DeviceCredential, HubClient
from shared.media import CallAudio, open_video_source
from shared.ui.runtime import notify_ready, quit_reason, wait_quit_requested

log = logging.getLogger(__name__)


async def kiosk_main(
    app: QApplication,
    config: KioskConfig,
    credential: DeviceCredential,
    autopilot: AutopilotOptions | None = None,
    *,
    fullscreen: bool = True,
) -> int:
    """Run the kiosk until a quit is requested (or the autopilot finishes); the exit code."""
    del app
    controller: KioskController | None = None

    async def on_message(message: Any) -> None:
        if controller is not None:
            await controller.handle_message(message)

    async def on_connection(up: bool) -> None:
        if controller is not None:
            await controller.handle_connection(up)

    hub = HubClient(config.hub.url, config.ca_file, on_message, on_connection)
    # Opened once: the microphone and loudspeaker outlive reconnects and successive calls.
    audio = await CallAudio.open(config.audio.input, config.audio_output)
    controller = KioskController(
        hub,
        video=open_video_source(config.camera),
        peer_factory=_peer_factory(audio),
        credential=credential,
        ended_home_seconds=config.kiosk.ended_home_seconds,
        idcard=config.idcard,
        printer=config.printer.model_copy(update={"folder": config.resolve(config.printer.folder)}),
        state_dir=config.state_dir,
        # The outbox lives with the kiosk's state: pages survive a crash or a restart.
        capture=CaptureDesk(config.doccam, hub, Outbox(config.state_dir / "outbox"), _no_op),
    )
    controller.health = monitor_for_kiosk(controller, config, hub, audio, screens=_screen_names)
    controller.rating = RatingDesk(hub, config.point)
    ui = KioskUi(
        controller,
        face_screen=config.screens.face,
        touch_screen=config.screens.touch,
        fullscreen=fullscreen,
    )
    ui.show()
    notify_ready("face and touch windows shown")
    code = 0
    pilot = Autopilot(ui, autopilot) if autopilot is not None else None
    try:
        await controller.start()
        quit_task = asyncio.ensure_future(wait_quit_requested())
        waits: set[asyncio.Future[Any]] = {quit_task}
        pilot_task = None
        if pilot is not None:
            pilot_task = asyncio.ensure_future(pilot.run())
            waits.add(pilot_task)
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        if pilot_task is not None and pilot_task.done():
            code = pilot_task.result()
        elif pilot_task is not None:
            # Stopped from outside before the visit finished: report that, still exit 0.
            pilot_task.cancel()
            await asyncio.gather(pilot_task, return_exceptions=True)
            pilot.error = f"stopped ({quit_reason()})"  # type: ignore[union-attr]
            pilot.write_report()  # type: ignore[union-attr]
        quit_task.cancel()
    finally:
        log.info("kiosk shutting down")
        await controller.shutdown()
        await audio.stop()  # after the call is closed: no frame arrives at a closed sink
        await ui.aclose()
    return code


async def _screen_names() -> list[str]:
    """The screens Qt offers now, for the health checks (they never load Qt themselves)."""
    return [screen.name() for screen in QApplication.screens()]


def _no_op() -> None:
    """The capture desk's own callback: the touch screen subscribes with `add_listener`."""


def _peer_factory(audio: CallAudio) -> PeerFactory:
    """The controller's peer factory: real CallPeers carrying this kiosk's microphone and
    playing the officer's voice."""

    def make(**kwargs: Any) -> PeerLike:
        # Loaded when the first call starts, as the controller's default factory does.
        from shared.rtc import CallPeer  # noqa: PLC0415

        peer: PeerLike = CallPeer(**kwargs, audio=audio.source, on_audio_frame=audio.on_frame)
        return peer

    return make
