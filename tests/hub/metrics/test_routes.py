"""`/metrics`: real actions on a real hub, the numbers read back in the Prometheus format."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any
from unittest import mock

import aiohttp
import pytest
from aiohttp.test_utils import make_mocked_request
from prometheus_client.parser import text_string_to_metric_families

from backoffice_console.hub.metrics import METRICS_KEY
from backoffice_console.hub.metrics.routes import _allowed
from shared.hubclient import HubRequestError
from shared.protocol import (
    CallState,
    CallStateReport,
    DeviceCommand,
    DeviceProgress,
    QueueJoin,
)
from tests.hub.fleet.test_routes import report
from tests.hub.identity.test_routes import in_call
from tests.hub.materials.test_routes import page_jpeg, upload
from tests.support.hub_fixtures import HubHarness, close_raw, req

WAIT = 10.0


async def scrape(hub: HubHarness) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of `/metrics`, keyed by name and sorted labels."""
    connector = aiohttp.TCPConnector(ssl=hub.ssl())
    async with (
        aiohttp.ClientSession(connector=connector) as http,
        http.get(f"{hub.url}/metrics") as resp,
    ):
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await resp.text()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_follow_real_calls_pages_prints_health_and_errors(hub: HubHarness) -> None:
    before = await scrape(hub)
    assert value(before, "vw_hub_queue_length") == 0
    assert value(before, "vw_hub_calls_active") == 0

    officer, kiosk, sid = await in_call(hub, "o1")
    after_take = await scrape(hub)
    assert value(after_take, "vw_hub_connected_clients", kind="kiosk") == 1
    assert value(after_take, "vw_hub_connected_clients", kind="console") == 1
    assert value(after_take, "vw_hub_websocket_connections_total", kind="kiosk") == 1
    assert value(after_take, "vw_hub_calls_active") == 1
    assert value(after_take, "vw_hub_calls_taken_total") == 1
    assert value(after_take, "vw_hub_queue_wait_seconds_count") == 1
    assert value(after_take, "vw_hub_queue_length") == 0

    # Media connected, reported by both sides: one set-up time.
    for side in (kiosk, officer):
        await req(side, CallStateReport(session_id=sid, state=CallState.CONNECTED))
    await officer.skip_to("call.state")
    connected = await scrape(hub)
    assert value(connected, "vw_hub_call_setup_seconds_count") == 1
    assert value(connected, "vw_hub_call_setup_seconds_sum") >= 0

    # A page stored, a page refused.
    await upload(kiosk, sid, page_jpeg(5))
    with pytest.raises(HubRequestError):
        await upload(kiosk, sid, b"not an image at all")
    # A print command and its states.
    await req(officer, DeviceCommand(session_id=sid, command_id="p1", kind="print"))
    await kiosk.skip_to("device.command")
    for stage in ("queued", "paper_out", "done"):
        await req(kiosk, DeviceProgress(session_id=sid, command_id="p1", kind="print",
                                        stage=stage))  # fmt: skip
    # A kiosk whose printer fails its health check.
    await asyncio.wait_for(kiosk.client.post_json("/api/v1/fleet/health", report("printer")), WAIT)
    # An HTTP error: a session that does not exist.
    with pytest.raises(HubRequestError):
        await officer.client.get_json("/api/v1/sessions/no-such-session/case")
    # A second kiosk waiting in the queue.
    other = await hub.kiosk("K2")
    await req(other, QueueJoin(matter="civil.dbsq"))
    # A websocket that ends abnormally.
    token = other.client._token
    assert token is not None
    raw = await hub.raw_ws(token)
    await raw.send_str('{"type": "no.such.message", "v": 1}')
    async with asyncio.timeout(WAIT):
        while (await raw.receive_json())["type"] != "error":  # after welcome and status
            pass
    await raw.close(code=4000)
    await close_raw(raw)

    samples = await scrape(hub)
    assert value(samples, "vw_hub_pages_total", result="stored") == 1
    assert value(samples, "vw_hub_pages_total", result="refused") == 1
    assert value(samples, "vw_hub_print_jobs_total", state="requested") == 1
    for stage in ("queued", "paper_out", "done"):
        assert value(samples, "vw_hub_print_jobs_total", state=stage) == 1
    assert value(samples, "vw_hub_kiosks_failing", part="printer") == 1
    assert value(samples, "vw_hub_queue_length") == 1
    assert value(samples, "vw_hub_queue_oldest_wait_seconds") >= 0
    assert value(samples, "vw_hub_http_errors_total",
                 route="/api/v1/sessions/{session_id}/case", status="404") == 1  # fmt: skip
    assert value(samples, "vw_hub_connected_clients", kind="kiosk") >= 2
    errors = {k: v for k, v in samples.items() if k[0] == "vw_hub_websocket_errors_total"}
    assert sum(errors.values()) >= 1, errors
    refused = {k: v for k, v in samples.items() if k[0] == "vw_hub_websocket_refused_total"}
    assert sum(refused.values()) == 1, refused


def _request(hub: HubHarness, peer: str, token: str = "") -> Any:
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda key, default=None: (
        (peer, 40000) if key == "peername" else default
    )
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return make_mocked_request("GET", "/metrics", headers=headers, app=hub.app, transport=transport)


async def test_metrics_access_beyond_loopback_needs_a_network_or_a_token(hub: HubHarness) -> None:
    config = hub.hub.config
    assert _allowed(_request(hub, "127.0.0.1")) and _allowed(_request(hub, "::1"))
    assert not _allowed(_request(hub, "10.1.2.3"))
    assert not _allowed(_request(hub, "10.1.2.3", "guess"))
    config.metrics_tokens = ["s3cret-scraper-token"]
    assert _allowed(_request(hub, "10.1.2.3", "s3cret-scraper-token"))
    assert not _allowed(_request(hub, "10.1.2.3", "s3cret"))
    config.metrics_allow = ["10.1.0.0/16"]
    assert _allowed(_request(hub, "10.1.2.3"))
    assert not _allowed(_request(hub, "10.2.0.1"))


def test_grafana_dashboard_reads_only_metrics_the_hub_exposes(hub: HubHarness) -> None:
    """Every query of installer/grafana/ names a metric family `/metrics` has."""
    path = Path(__file__).resolve().parents[3] / "installer" / "grafana" / "vw-hub-dashboard.json"
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    assert dashboard["__inputs"][0]["pluginId"] == "prometheus"
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bvw_hub_[a-z_]+", target["expr"])
    }
    covered = {re.sub(r"_(total|bucket|count|sum)$", "", n) for n in used}
    families = {f.name for f in hub.app[METRICS_KEY].registry.collect()}
    assert covered <= families, covered - families  # no panel reads a metric that is not there
    assert families <= covered, families - covered  # every metric has a panel
