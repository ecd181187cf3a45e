"""Every class of hostile input the outside fuzz found gets a clean refusal from a real hub.

Numbers too long for Python's int parser, deep nesting, lone surrogates, integers beyond
what the database holds, unknown charsets, extreme days, versions that only compare equal
to 1, answers without offers, reports for commands never sent; then the time limits
(a slow body, a silent connection), the cap on anonymous requests per address, and
`welcome` before anything else. The hub's log must hold no traceback and no error.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import BaseModel

from backoffice_console.hub.core.ws import Connected
from shared.protocol import (
    DeviceCommand,
    DeviceProgress,
    QueueJoin,
    Role,
    RtcAnswer,
    RtcOffer,
    TicketTake,
)
from tests.support.hub_fixtures import WAIT, HubHarness, close_raw, refused, req, running_hub
from tests.support.model_samples import BIG_DIGITS, sample
from tests.support.wire_fuzz import LogWatch, login, routes_of

LOGIN = "/api/v1/auth/login"
IMPORT = "/api/v1/catalogue/import"


@pytest.fixture(name="watch")
def watch_fixture() -> Any:
    """The hub's log, watched: the test fails on any traceback or error in it."""
    with LogWatch() as watch:
        yield watch
    assert (watch.tracebacks, watch.errors) == (0, 0), watch.samples


async def _http(
    hub: HubHarness,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: bytes | None = None,
    content_type: str = "application/json",
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=hub.ssl())) as session,
        session.request(method, hub.url + path, data=body, headers=headers) as resp,
    ):
        return resp.status, await resp.json(content_type=None)


async def _admin(hub: HubHarness) -> str:
    await hub.user("wl-admin", Role.ADMIN)
    return await login(hub, "wl-admin")


BAD_BODIES = {
    "long number": (b'{"username": "a", "password": ' + BIG_DIGITS.encode() + b"}", "bad_json"),
    "deep nesting": (b"[" * 1500 + b"]" * 1500, "bad_json"),
    "lone surrogate": (b'{"username": "\\ud800", "password": "x"}', "bad_json"),
    "raw surrogate": (b'{"username": "\xed\xa0\x80", "password": "x"}', "bad_json"),
    "NaN": (b'{"username": NaN, "password": "x"}', "bad_json"),
    "infinity": (b'{"username": "a", "password": 1e999}', "bad_json"),
    "repeated key": (b'{"username": "a", "username": "b", "password": "x"}', "bad_json"),
}


@pytest.mark.parametrize("name", list(BAD_BODIES))
async def test_hostile_bodies_are_refused_without_log_in(
    hub: HubHarness, watch: LogWatch, name: str
) -> None:
    body, code = BAD_BODIES[name]
    status, reply = await _http(hub, "POST", "/api/v1/auth/login", body=body)
    assert (status, reply["code"]) == (400, code), reply


async def test_charsets_other_than_utf8_and_ids_beyond_the_database(
    hub: HubHarness, watch: LogWatch
) -> None:
    good = b'{"username": "nobody", "password": "x"}'
    for charset in ("foo", "utf-16", "latin-1"):
        ctype = f"application/json; charset={charset}"
        status, reply = await _http(
            hub, "POST", "/api/v1/auth/login", body=good, content_type=ctype
        )
        assert (status, reply["code"]) == (400, "bad_json"), charset
    utf8 = "application/json; charset=UTF-8"
    status, _ = await _http(hub, "POST", LOGIN, body=good, content_type=utf8)
    assert status == 401  # read, and refused only for the password
    for device_id in (2**31, 0):
        body = json.dumps({"device_id": device_id, "secret": "s"}).encode()
        status, reply = await _http(hub, "POST", "/api/v1/devices/token", body=body)
        assert (status, reply["code"]) == (400, "bad_message"), device_id
    too_big = b'{"device_id": 9223372036854775808, "secret": "s"}'
    status, reply = await _http(hub, "POST", "/api/v1/devices/token", body=too_big)
    assert (status, reply["code"]) == (400, "bad_json")


async def test_path_ids_follow_one_rule_and_days_are_bounded(
    hub: HubHarness, watch: LogWatch
) -> None:
    token = await _admin(hub)
    paths = [
        ("GET", "/api/v1/catalogue/versions/{}"),
        ("GET", "/api/v1/materials/{}"),
        ("POST", "/api/v1/fleet/work-orders/{}/close"),
        ("POST", "/api/v1/rectifications/{}/close"),
        ("GET", "/api/v1/callbacks/{}/phone"),
        ("GET", "/api/v1/fleet/points/{}/history"),
        ("GET", "/api/v1/fleet/devices/{}"),
        ("PUT", "/api/v1/routing/officers/{}/lines"),
    ]
    for method, template in paths:
        for bad in (str(2**63), str(2**31), "abc", "-1", "１"):
            status, reply = await _http(hub, method, template.format(bad), token=token, body=b"{}")
            assert (status, reply["code"]) == (404, "not_found"), (template, bad, reply)
    # A case is named by its number or its id: an id beyond the bound names no case.
    phone = json.dumps({"phone": "13912345678"}).encode()
    for bad in (str(2**63), str(2**31)):
        path = f"/api/v1/cases/{bad}/contact"
        status, reply = await _http(hub, "POST", path, token=token, body=phone)
        assert (status, reply["code"]) == (404, "not_found"), (bad, reply)
    queries = [
        "/api/v1/sessions?day=0001-01-01",
        "/api/v1/sessions?day=9999-12-31",
        "/api/v1/ratings?day=0001-01-01",
        "/api/v1/reports?from=0001-01-01&to=0001-01-02",
        "/api/v1/reports?from=9999-12-30&to=9999-12-31",
        "/api/v1/fleet/points?at=9999-12-31",
        f"/api/v1/cases?officer_id={2**63}",
    ]
    for path in queries:
        status, reply = await _http(hub, "GET", path, token=token)
        assert (status, reply["code"]) == (400, "bad_message"), (path, reply)
    catalogue = b'{"version": "x", "lines": ' + b"[" * 1500 + b"]" * 1500 + b"}"
    status, reply = await _http(
        hub, "POST", "/api/v1/catalogue/import", token=token, body=catalogue
    )
    assert (status, reply["code"]) == (422, "bad_message"), reply
    huge = b'{"version": ' + BIG_DIGITS.encode() + b"}"
    status, reply = await _http(hub, "POST", IMPORT, token=token, body=huge)
    assert status == 422, reply


async def _kiosk_ws(hub: HubHarness) -> aiohttp.ClientWebSocketResponse:
    credential = await hub.kiosk_credential("WL")
    issued = await hub.hub.accounts.device_token(credential.device_id, credential.secret)
    ws = await hub.raw_ws(issued.token)
    assert json.loads((await ws.receive(timeout=WAIT)).data)["type"] == "welcome"
    return ws


async def test_hostile_messages_get_error_replies_and_the_socket_stays(
    hub: HubHarness, watch: LogWatch
) -> None:
    ws = await _kiosk_ws(hub)
    try:
        cases: list[tuple[str | bytes, str | None, str]] = [
            ('{"type": "queue.join", "id": "\\ud800"}', None, "bad_json"),
            (b'{"type": "queue.join", "id": "\xed\xa0\x80"}', None, "bad_json"),
            ('{"type": "ticket.take", "id": "n", "ticket_id": ' + BIG_DIGITS + "}", None,
             "bad_json"),
            ("[" * 1500 + "]" * 1500, None, "bad_json"),
            ('{"v": true, "type": "queue.join", "id": "vt"}', "vt", "unsupported_version"),
            ('{"v": 1.0, "type": "queue.join", "id": "vf"}', "vf", "unsupported_version"),
            ('{"type": "queue.join", "id": "ok", "matter": "\\ud83d\\ude00"}', "ok", None),
        ]  # fmt: skip
        for payload, re, code in cases:
            if isinstance(payload, bytes):
                await ws.send_bytes(payload)
            else:
                await ws.send_str(payload)
            reply = json.loads((await ws.receive(timeout=WAIT)).data)
            if code is None:
                assert reply["type"] in ("ack", "error") and reply.get("code") != "internal"
            else:
                assert (reply["type"], reply.get("re"), reply["code"]) == (
                    "error",
                    re,
                    code,
                ), payload
        assert not ws.closed
    finally:
        await close_raw(ws)


async def test_answers_need_an_offer_and_reports_a_command(
    hub: HubHarness, watch: LogWatch
) -> None:
    kiosk = await hub.kiosk("WL-K")
    officer = await hub.officer("wl-o")
    await req(kiosk, QueueJoin(id="j"))
    snapshot = await officer.skip_to("queue.snapshot")
    while not snapshot.tickets:
        snapshot = await officer.skip_to("queue.snapshot")
    await req(officer, TicketTake(id="t", ticket_id=snapshot.tickets[0].ticket_id))
    sid = (await kiosk.skip_to("session.started")).session_id
    assert await refused(officer, RtcAnswer(id="a0", session_id=sid, sdp="v=0")) == "bad_state"
    await req(kiosk, RtcOffer(id="o1", session_id=sid, sdp="v=0"))
    await req(officer, RtcAnswer(id="a1", session_id=sid, sdp="v=0"))
    assert await refused(officer, RtcAnswer(id="a2", session_id=sid, sdp="v=0")) == "bad_state"
    # A reconnect offers again before the first answer: each offer gets its answer.
    await req(kiosk, RtcOffer(id="o2", session_id=sid, sdp="v=0"))
    await req(kiosk, RtcOffer(id="o3", session_id=sid, sdp="v=0"))
    await req(officer, RtcAnswer(id="a3", session_id=sid, sdp="v=0"))
    await req(officer, RtcAnswer(id="a4", session_id=sid, sdp="v=0"))
    assert await refused(officer, RtcAnswer(id="a5", session_id=sid, sdp="v=0")) == "bad_state"
    progress = DeviceProgress(
        id="p0", session_id=sid, command_id="never", kind="idcard.read", stage="reading"
    )
    assert await refused(kiosk, progress) == "bad_state"
    command = DeviceCommand(id="c1", session_id=sid, command_id="c-1", kind="idcard.read")
    await req(officer, command)
    await kiosk.skip_to("device.command")
    await req(kiosk, progress.model_copy(update={"id": "p1", "command_id": "c-1"}))


async def test_welcome_comes_before_any_broadcast(hub: HubHarness, watch: LogWatch) -> None:
    entered, release = asyncio.Event(), asyncio.Event()

    async def hold(event: Connected) -> None:
        if event.conn.principal.display_name == "officer wl-late":
            entered.set()
            await release.wait()

    hub.hub.core.bus.subscribe(Connected, hold)
    watcher = await hub.officer("wl-watch")
    await watcher.skip_to("queue.snapshot")
    late = asyncio.create_task(hub.officer("wl-late"))
    await asyncio.wait_for(entered.wait(), WAIT)
    # While the late officer's connection is being set up, the queue changes.
    kiosk = await hub.kiosk("WL-B")
    await req(kiosk, QueueJoin(id="j"))
    await kiosk.skip_to("queue.status")  # sent after the consoles': the broadcast is out
    release.set()
    peer = await asyncio.wait_for(late, WAIT)
    # HubClient.connect fails on anything but welcome first; then its queue follows.
    assert (await peer.next("queue.snapshot")).tickets


async def test_a_slow_body_times_out_and_a_client_leaving_is_no_error(
    hub: HubHarness, watch: LogWatch
) -> None:
    hub.hub.config.body_timeout_s = 0.5
    reader, writer = await _tls(hub)
    head = "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    writer.write(f"{head}Content-Length: 1000\r\n\r\n{{".encode())
    await writer.drain()
    answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    assert b"Connection: close" in answer  # the rest of the body is not waited for
    writer.close()
    # A client that leaves mid-body: nothing in flight stays, nothing is logged as an error.
    hub.hub.config.body_timeout_s = 30
    reader, writer = await _tls(hub)
    writer.write(f"{head}Content-Length: 1000\r\n\r\n{{".encode())
    await writer.drain()
    await _until(lambda: hub.hub.core.anonymous.get("127.0.0.1") == 1)
    writer.transport.abort()
    await _until(lambda: not hub.hub.core.anonymous)


async def test_anonymous_requests_per_address_are_capped(hub: HubHarness, watch: LogWatch) -> None:
    hub.hub.config.anonymous_per_address = 3
    token = await _admin(hub)
    head = "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    head += "Authorization: Bearer made-up\r\n"  # a header alone is no credential
    slow = []
    for _ in range(3):
        _, writer = await _tls(hub)
        writer.write(f"{head}Content-Length: 1000\r\n\r\n{{".encode())
        await writer.drain()
        slow.append(writer)
    await _until(lambda: hub.hub.core.anonymous.get("127.0.0.1") == 3)
    body = b'{"username": "nobody", "password": "x"}'
    status, reply = await _http(hub, "POST", "/api/v1/auth/login", body=body)
    assert (status, reply["code"]) == (429, "rate_limited")
    status, reply = await _http(hub, "GET", "/api/v1/cases", token="made-up")
    assert status == 401, reply
    status, _ = await _http(hub, "GET", "/api/v1/cases", token=token)
    assert status == 200  # a known caller from the same address is still served
    for writer in slow:
        writer.transport.abort()
    await _until(lambda: not hub.hub.core.anonymous)
    status, reply = await _http(hub, "POST", "/api/v1/auth/login", body=body)
    assert status == 401, reply


async def test_a_silent_connection_is_closed(tmp_path: Path, watch: LogWatch) -> None:
    async with running_hub(tmp_path / "hub", header_timeout_s=0.5) as hub:
        reader, writer = await _tls(hub)
        writer.write(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")  # never finished
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), WAIT) == b""
        writer.close()


async def _tls(hub: HubHarness) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    port = int(hub.url.rsplit(":", 1)[1])
    context: ssl.SSLContext = hub.ssl()
    return await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname="localhost"
    )


async def _until(condition: Any) -> None:
    # The hub's bookkeeping has no event to wait on: poll the condition, bounded.
    async with asyncio.timeout(WAIT):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def _date_fields(model: type[BaseModel]) -> list[str]:
    return [
        name
        for name, info in model.model_fields.items()
        if any(kind in str(info.annotation) for kind in ("datetime.date", "datetime.datetime"))
    ]


async def test_extreme_days_in_bodies_are_refused_or_kept_never_a_500(
    hub: HubHarness, watch: LogWatch
) -> None:
    token = await _admin(hub)
    await hub.kiosk("WL-D")  # a point and a device for the fleet's routes to find
    checked = 0
    for route in routes_of(hub.app):
        if not isinstance(route.body, type):
            continue
        for name in _date_fields(route.body):
            for extreme in ("0001-01-01", "9999-12-31", "9999-12-31T23:59:59+14:00",
                            "0001-01-01T00:00:00-12:00"):  # fmt: skip
                body = {**sample(route.body), name: extreme}
                path = route.path.replace("{session_id}", "s").replace("{case_no}", "c")
                path = re.sub(r"\{[^}]+\}", "1", path)
                status, reply = await _http(
                    hub, route.method, path, token=token, body=json.dumps(body).encode()
                )
                assert status < 500, (route, name, extreme, reply)
                if route.path.startswith("/api/v1/fleet/points"):  # days for the service
                    assert (status, reply["code"]) == (400, "bad_message"), (route, name)
                checked += 1
    assert checked >= 8  # the fleet's dated bodies at least
