"""Hub websocket input hygiene: malformed, unknown, wrong-version and oversize messages."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from shared.protocol import MAX_MESSAGE_BYTES, QueueJoin, decode_server_message
from tests.support.hub_fixtures import WAIT, HubHarness, close_raw


async def _reply(ws: aiohttp.ClientWebSocketResponse) -> object:
    msg = await ws.receive(timeout=WAIT)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return decode_server_message(msg.data)


async def _kiosk_token(hub: HubHarness) -> str:
    credential = await hub.kiosk_credential("K")
    issued = await hub.hub.accounts.device_token(credential.device_id, credential.secret)
    return issued.token


async def test_bad_messages_get_error_replies_and_the_connection_survives(
    hub: HubHarness,
) -> None:
    ws = await hub.raw_ws(await _kiosk_token(hub))
    try:
        assert (await _reply(ws)).type == "welcome"  # type: ignore[attr-defined]
        cases: list[tuple[str | bytes, str | None, str]] = [
            ("{not json", None, "bad_json"),
            (b"\xff\xfe", None, "bad_json"),
            ("[1, 2]", None, "bad_message"),
            (json.dumps({"v": 1, "type": "what.ever", "id": "u1"}), "u1", "unknown_type"),
            (json.dumps({"v": 2, "type": "queue.join", "id": "v2"}), "v2", "unsupported_version"),
            (json.dumps({"type": "ticket.take", "id": "t1", "ticket_id": 3}), "t1", "forbidden"),
            (json.dumps({"type": "queue.join", "id": "b1", "matter": 5}), "b1", "bad_message"),
            (json.dumps({"type": "queue.join", "id": "x" * 65}), None, "bad_message"),
        ]
        for payload, re, code in cases:
            if isinstance(payload, bytes):
                await ws.send_bytes(payload)
            else:
                await ws.send_str(payload)
            reply = await _reply(ws)
            assert reply.type == "error", (payload, reply)  # type: ignore[attr-defined]
            assert (reply.re, reply.code) == (re, code), payload  # type: ignore[attr-defined]
        # Still serving this connection.
        await ws.send_str(QueueJoin(id="ok1").model_dump_json())
        ack = await _reply(ws)
        assert (ack.type, ack.re) == ("ack", "ok1")  # type: ignore[attr-defined]
    finally:
        await close_raw(ws)


async def test_oversize_message_closes_with_1009_and_hub_keeps_serving(hub: HubHarness) -> None:
    token = await _kiosk_token(hub)
    ws = await hub.raw_ws(token)
    try:
        await _reply(ws)  # welcome
        await ws.send_str(json.dumps({"type": "queue.join", "pad": "x" * MAX_MESSAGE_BYTES}))
        codes = []
        async with asyncio.timeout(WAIT):
            while True:
                msg = await ws.receive()
                if msg.type == aiohttp.WSMsgType.CLOSE:
                    codes.append(msg.data)  # the hub's close frame
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    break
        assert codes == [aiohttp.WSCloseCode.MESSAGE_TOO_BIG]
    finally:
        await close_raw(ws)
    # Another client (the same kiosk reconnecting) is served normally.
    again = await hub.raw_ws(token)
    try:
        assert (await _reply(again)).type == "welcome"  # type: ignore[attr-defined]
        await again.send_str(QueueJoin(id="j").model_dump_json())
        assert (await _reply(again)).type == "ack"  # type: ignore[attr-defined]
        assert (await _reply(again)).type == "queue.status"  # type: ignore[attr-defined]
    finally:
        await close_raw(again)


async def test_abrupt_disconnects_do_not_disturb_others(hub: HubHarness) -> None:
    officer = await hub.officer("o")
    await officer.next("queue.snapshot")
    token = await _kiosk_token(hub)
    for _ in range(3):
        ws = await hub.raw_ws(token)
        await _reply(ws)
        await ws.send_str(QueueJoin(id="j").model_dump_json())
        await _reply(ws)
        await close_raw(ws)
    # Each join and each disconnect produced a snapshot; the last one is empty.
    snaps: list[Any] = []
    async with asyncio.timeout(WAIT):
        while len(snaps) < 6:
            snaps.append(await officer.next("queue.snapshot"))
    assert snaps[-1].tickets == []
    await asyncio.sleep(0.1)  # not a wait: watching that nothing more arrives
    assert officer.inbox.empty()
