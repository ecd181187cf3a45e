"""A page the hub acknowledged survives a power cut of the hub's machine.

The hub's folder (SQLite database in WAL mode with `synchronous=FULL`, and the
encrypted pages it holds) sits on `lossyfs`, which keeps only what was fsynced
when the power goes. Pages are uploaded the way a kiosk does; after the cut a
new hub starts on what the disk kept, and every acknowledged page is there and
decrypts to the bytes the hub held before the cut (the hub re-encodes each page).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from pathlib import Path
from typing import Any

from backoffice_console.hub.core.config import load_hub_config
from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.provision import CONFIG_NAME, migrate, prepare_dir
from backoffice_console.hub.server import start
from shared.hubclient import HubClient
from shared.protocol.materials import MaterialStored
from tests.hub.materials.test_routes import page_jpeg
from tests.kiosk.materials.test_delivery import session_with_credential, stored
from tests.support.hub_fixtures import WAIT, HubHarness, HubView
from tests.support.power_loss import LossyMount


async def _ignore(_: Any) -> None:
    return None


async def _held(app: Any) -> dict[str, bytes]:
    """Every page the hub holds, decrypted, by the SHA-256 the kiosk sent."""
    vault = app[CORE_KEY].vault
    rows = await stored(HubView(app))
    return {row.sha256: vault.open(row.session_id, row.nonce, row.ciphertext) for row in rows}


async def test_acknowledged_pages_survive_a_power_cut(tmp_path: Path) -> None:
    installed = tmp_path / "installed"  # what `vw-hub init` left on the disk
    await migrate(prepare_dir(installed, [], port=0))
    with LossyMount(tmp_path / "boot0", seed=installed) as disk:
        config = load_hub_config(disk.path / CONFIG_NAME)
        config.log_dir = None
        runner, url = await asyncio.wait_for(start(config, 0), 30)
        harness = HubHarness(url, config.tls_cert.parent / "ca.pem", HubView(runner.app))
        kiosk = HubClient(url, harness.ca, _ignore)
        try:
            _officer, credential, sid = await session_with_credential(harness, "K-power")
            await asyncio.wait_for(kiosk.login_device(credential), WAIT)
            for seed in range(4):
                data = page_jpeg(40 + seed)
                sha = hashlib.sha256(data).hexdigest()
                reply = MaterialStored.model_validate(
                    await kiosk.post_bytes(
                        f"/api/v1/sessions/{sid}/materials", data, "image/jpeg",
                        {"X-Content-SHA256": sha},
                    )
                )  # fmt: skip
                assert reply.page_no == seed + 1
            acked = await _held(runner.app)
            assert len(acked) == 4
            disk.power_cut()
        finally:
            for client in (kiosk, *(peer.client for peer in harness.peers)):
                await asyncio.wait_for(client.close(), WAIT)
            # The machine is off: the old hub's last writes fail, as they would.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(runner.cleanup(), 30)

    config = load_hub_config(disk.dump / CONFIG_NAME)
    config.log_dir = None
    runner, _ = await asyncio.wait_for(start(config, 0), 30)
    try:
        rows = await stored(HubView(runner.app))
        kept = await _held(runner.app)
        assert set(acked) <= set(kept), f"{len(set(acked) - set(kept))} acknowledged page(s) lost"
        assert all(kept[sha] == data for sha, data in acked.items()), "a page is torn"
        assert [row.page_no for row in rows] == list(range(1, len(rows) + 1))
    finally:
        await asyncio.wait_for(runner.cleanup(), 30)
