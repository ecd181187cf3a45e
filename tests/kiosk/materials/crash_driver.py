"""A kiosk's capture-and-deliver path in its own process, for the SIGKILL test.

Real outbox, real uploader, a real image-sequence document camera and a real hub:
it captures `count` pages, printing `ACK <sha256>` the moment each page is durable
(when the kiosk would show it as captured), then waits for the outbox to drain and
prints `DRAINED`. The test kills it at random points and restarts it.

    python -m tests.kiosk.materials.crash_driver URL CA CREDENTIAL OUTBOX PATTERN SESSION COUNT
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from kiosk.devices.doccam import DocumentCameraConfig, open_document_camera
from kiosk.materials import Outbox, Uploader, make_page
from shared.hubclient import DeviceCredential, HubClient


async def _ignore(_: Any) -> None:
    return None


async def main(argv: list[str]) -> None:
    url, ca, cred, outbox_dir, pattern, session_id, count = argv
    hub = HubClient(url, Path(ca), _ignore)
    outbox = Outbox(Path(outbox_dir))
    await outbox.open()
    await hub.login_device(DeviceCredential.load(Path(cred)))
    uploader = Uploader(outbox, hub, backoff=(0.05, 0.1, 0.2))
    task = asyncio.create_task(uploader.run())
    camera = open_document_camera(DocumentCameraConfig(backend="images", path=pattern, fps=30))
    await camera.open()
    for _ in range(int(count)):
        jpeg = make_page(await camera.capture())
        assert jpeg is not None
        page = await outbox.add(session_id, None, jpeg)
        print(f"ACK {page.sha256}", flush=True)
        uploader.wake()
    while await outbox.pending():  # noqa: ASYNC110 - polling the outbox
        await asyncio.sleep(0.05)
    print("DRAINED", flush=True)
    task.cancel()
    await camera.close()
    await outbox.close()
    await hub.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
