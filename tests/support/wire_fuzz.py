"""A wire fuzzer for a running hub: mutated websocket messages and HTTP requests.

Used by `tests/hub/test_wire_fuzz.py` (a bounded run in `make test`) and `bench/fuzz.py`
(the long run). It starts from a valid message of every client type and a body for
every route's declared model, mutates them (values swapped for hostile ones, keys
dropped or added, types crossed, text cut or corrupted) and mixes in a corpus of input
classes that once made the hub err: numbers longer than Python's int parser takes, deep
nesting, lone surrogates, integers at or above 2**63, `"v": true`, unknown charsets,
extreme dates, ids no database column holds.

Every outcome is counted (`Outcomes`); the failures the pass line forbids are `internal`
error replies, 1011 closes, HTTP 500s and tracebacks or errors in the hub's log
(`LogWatch`). Websocket sockets run in lockstep: each fuzz message is followed by a
sentinel (an unknown type with an id, answered by an error without touching any
domain), so everything between them is the fuzz message's answer.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, get_args

import aiohttp
from aiohttp import web
from pydantic import BaseModel

from backoffice_console.hub.core.http import Raw, wire_of
from shared.protocol import ClientMessage, QueueJoin, Role, SessionEnd, TicketTake
from shared.protocol.codec import MAX_MESSAGE_BYTES
from tests.support.hub_fixtures import PASSWORD, WAIT, HubHarness, Peer, req
from tests.support.model_samples import BIG_DIGITS, HOSTILE_TEXTS, HOSTILE_TOKENS, sample

AFTER_KIOSK = "FZ-after"
QUERY_VALUES = [
    "0001-01-01",
    "9999-12-31",
    "2026-13-45",
    "2026-12-07",
    "1999-12-31",
    BIG_DIGITS,
    "9223372036854775808",
    "2147483648",
    "-1",
    "0",
    "abc",
    "",
    "１２",
    "\x00",
    "json",
    "csv",
    "pdf",
    "open",
    "day",
    "1",
]
QUERY_KEYS = ["day", "from", "to", "at", "officer_id", "limit", "state", "format", "by"]
QUERY_KEYS += ["dry_run", "session_id", "line", "sub_district", "days", "overdue"]
PATH_IDS = ["1", "2", "0", "-1", "abc", "2147483648", "9223372036854775808", BIG_DIGITS[:40]]
PATH_IDS += ["1e3", "%F0%9F%98%80", "１"]
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=foo",
    "application/json; charset=utf-16",
    "application/json; charset=latin-1",
    "text/plain",
    "text/csv",
    "image/jpeg",
    "application/x-www-form-urlencoded",
    "",
]


class LogWatch(logging.Handler):
    """Counts what the pass line forbids in the hub's log: tracebacks and ERROR records."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.tracebacks = 0
        self.errors = 0
        self.samples: list[str] = []

    HUB_LOGGERS = ("backoffice_console.hub", "aiohttp", "asyncio")
    """The hub's own loggers and the server stack under it. The fuzzing clients log too
    (a client whose log-in the fuzz ended by calling log-out says so): not the hub's."""

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(self.HUB_LOGGERS):
            return
        bad = record.exc_info is not None or record.levelno >= logging.ERROR
        if record.exc_info is not None:
            self.tracebacks += 1
        if record.levelno >= logging.ERROR:
            self.errors += 1
        if bad and len(self.samples) < 10:
            self.samples.append(f"{record.name}: {record.getMessage()[:300]}")

    def __enter__(self) -> LogWatch:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self)


@dataclass
class Outcomes:
    """What the hub answered, counted: `ws:<outcome>`, `http:<status>`, and the forbidden."""

    counts: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    ws_sent: int = 0
    http_sent: int = 0

    def fail(self, what: str) -> None:
        """Record a forbidden outcome (kept short, a few examples)."""
        self.counts["FAIL " + what.split(":", maxsplit=1)[0]] += 1
        if len(self.failures) < 20:
            self.failures.append(what[:500])

    @property
    def forbidden(self) -> int:
        """How many outcomes the pass line forbids (internal, 1011, 500)."""
        return sum(n for key, n in self.counts.items() if key.startswith("FAIL "))


# --- values -----------------------------------------------------------------------


def client_samples(session_id: str, ticket_id: int) -> list[dict[str, Any]]:
    """A valid message of every client type, aimed at the live session where one fits."""
    out = []
    for model in get_args(get_args(ClientMessage)[0]):
        body = sample(model)
        body["id"] = "m"
        if "session_id" in body:
            body["session_id"] = session_id
        if "ticket_id" in body:
            body["ticket_id"] = ticket_id
        if model.__name__ == "SessionTransfer":
            body.pop("to_officer_id", None)
        out.append(body)
    return out


_MARK = "\x01tok{}\x01"


def _hostile_value(rng: random.Random, marks: list[str]) -> Any:
    # Either a JSON-able value or a marker replaced by a raw token after dumping.
    choice = rng.random()
    if choice < 0.5:
        marks.append(rng.choice(HOSTILE_TOKENS))
        return _MARK.format(len(marks) - 1)
    return rng.choice(
        [None, True, 0, -1, 2**31, 2**63 - 1, 1.5, "", "x" * 300, "\ud800", [], {}, [1, "a"],
         {"k": "v"}, "2026-12-07", "m", rng.getrandbits(64)]
    )  # fmt: skip


def mutate(rng: random.Random, base: dict[str, Any], kinds: list[str]) -> str | bytes:
    """One mutation of `base` as wire text (bytes when it is not valid UTF-8)."""
    roll = rng.random()
    if roll < 0.08:
        return rng.choice(HOSTILE_TEXTS)
    data = copy.deepcopy(base)
    marks: list[str] = []
    for _ in range(rng.choice((0, 1, 1, 1, 2, 3))):
        op = rng.randrange(7)
        keys = list(data)
        if op == 0 and keys:
            data[rng.choice(keys)] = _hostile_value(rng, marks)
        elif op == 1 and keys:
            del data[rng.choice(keys)]
        elif op == 2:
            data[rng.choice(["extra", "ID", "v ", "__proto__"])] = _hostile_value(rng, marks)
        elif op == 3 and kinds:
            data["type"] = rng.choice(kinds)
        elif op == 4:
            data["v"] = _hostile_value(rng, marks) if rng.random() < 0.7 else 2
        elif op == 5:
            data["id"] = _hostile_value(rng, marks)
        elif op == 6 and keys:
            key = rng.choice(keys)
            data[key] = [data[key]] if rng.random() < 0.5 else {"nested": data[key]}
    text = json.dumps(data, ensure_ascii=rng.random() < 0.5)
    for i, token in enumerate(marks):
        text = text.replace(json.dumps(_MARK.format(i)), token, 1)
    if rng.random() < 0.1:
        text = _corrupt(rng, text)
    try:
        return text.encode("utf-8") if rng.random() < 0.2 else text.encode("utf-8").decode()
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")  # a lone surrogate as raw (invalid) bytes


def _corrupt(rng: random.Random, text: str) -> str:
    if not text:
        return text
    at = rng.randrange(len(text))
    how = rng.randrange(3)
    if how == 0:
        return text[:at]
    if how == 1:
        return text[:at] + rng.choice('{}[]",:\\\x00é字') + text[at:]
    return text[:at] + text[at + 1 :]


# --- actors -----------------------------------------------------------------------


@dataclass
class Actors:
    """Who fuzzes: tokens by name, and the live call the valid messages aim at."""

    tokens: dict[str, str]
    session_id: str
    ticket_id: int
    peers: list[Peer]
    after: tuple[Peer, Peer]
    """A kiosk and an officer connected before the fuzz, for a normal call after it (the
    fuzz's failed log-ins and enrolments rate-limit new ones from this address)."""


async def login(hub: HubHarness, username: str) -> str:
    """An officer-side token over HTTP (`POST /api/v1/auth/login`)."""
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=hub.ssl())) as session,
        session.post(
            f"{hub.url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()
        return str((await resp.json())["token"])


async def set_up_actors(hub: HubHarness) -> Actors:
    """Two kiosks, officers, a supervisor, a technician, an admin; one live call."""
    kiosk = await hub.kiosk("FZ1")
    other_kiosk = await hub.kiosk("FZ2")
    officer = await hub.officer("fz-officer")
    await hub.user("fz-officer2")
    await hub.user("fz-super", Role.SUPERVISOR)
    await hub.user("fz-tech", Role.TECHNICIAN)
    await hub.user("fz-admin", Role.ADMIN)
    await req(kiosk, QueueJoin(id="j"))
    snapshot = await officer.skip_to("queue.snapshot")
    while not snapshot.tickets:
        snapshot = await officer.skip_to("queue.snapshot")
    ticket_id = snapshot.tickets[0].ticket_id
    await req(officer, TicketTake(id="t", ticket_id=ticket_id))
    started = await kiosk.skip_to("session.started")
    tokens = {
        "kiosk": kiosk.client._token or "",
        "kiosk2": other_kiosk.client._token or "",
        "officer": officer.client._token or "",
        "officer2": await login(hub, "fz-officer2"),
        "supervisor": await login(hub, "fz-super"),
        "technician": await login(hub, "fz-tech"),
        "admin": await login(hub, "fz-admin"),
    }
    after = (await hub.kiosk(AFTER_KIOSK), await hub.officer("fz-after"))
    return Actors(tokens, started.session_id, ticket_id, [kiosk, other_kiosk, officer], after)


# --- websocket --------------------------------------------------------------------


async def _connect(hub: HubHarness, token: str, out: Outcomes) -> aiohttp.ClientWebSocketResponse:
    ws = await hub.raw_ws(token)
    first = await ws.receive(timeout=WAIT)
    kind = json.loads(first.data).get("type") if first.type == aiohttp.WSMsgType.TEXT else None
    if kind != "welcome":
        out.fail(f"ws: first message was {kind!r}, not welcome")
    return ws


async def _close(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.close()
    await ws._test_session.close()  # type: ignore[attr-defined]


async def ws_worker(
    hub: HubHarness,
    token: str,
    bases: list[dict[str, Any]],
    count: int,
    *,
    rng: random.Random,
    out: Outcomes,
) -> None:
    """Send `count` mutated messages on one socket, in lockstep with a sentinel."""
    kinds = [b["type"] for b in bases] + ["fuzz.unknown"]
    ws = await _connect(hub, token, out)
    try:
        for n in range(count):
            payload = mutate(rng, rng.choice(bases), kinds)
            if len(payload) * (1 if isinstance(payload, bytes) else 4) >= MAX_MESSAGE_BYTES:
                payload = payload[: MAX_MESSAGE_BYTES // 4]
            sentinel = f"s{n}"
            if isinstance(payload, bytes):
                await ws.send_bytes(payload)
            else:
                await ws.send_str(payload)
            await ws.send_str(json.dumps({"type": "fuzz.sentinel", "id": sentinel}))
            out.ws_sent += 1
            outcome = "silent"
            while True:
                msg = await ws.receive(timeout=WAIT * 4)
                if msg.type != aiohttp.WSMsgType.TEXT:
                    code = ws.close_code
                    out.counts[f"ws:closed:{code}"] += 1
                    if code == aiohttp.WSCloseCode.INTERNAL_ERROR:
                        out.fail(f"ws 1011 after {payload!r}"[:300])
                    await _close(ws)
                    ws = await _connect(hub, token, out)
                    break
                reply = json.loads(msg.data)
                if reply.get("type") == "error" and reply.get("re") == sentinel:
                    break
                if reply.get("type") == "error":
                    outcome = f"error:{reply.get('code')}"
                    if reply.get("code") == "internal":
                        out.fail(f"ws internal: {payload!r}"[:300])
                elif reply.get("type") == "ack" and outcome == "silent":
                    outcome = "ack"
            out.counts[f"ws:{outcome}"] += 1
    finally:
        await _close(ws)


async def fuzz_websocket(
    hub: HubHarness, actors: Actors, total: int, rng: random.Random, out: Outcomes
) -> None:
    """`total` mutated messages over nine sockets (two per kiosk and officer, one per role)."""
    bases = client_samples(actors.session_id, actors.ticket_id)
    names = ["kiosk", "kiosk", "kiosk2", "officer", "officer", "officer2"]
    names += ["supervisor", "technician", "admin"]
    shares = _shares(total, len(names))
    await asyncio.gather(
        *(
            ws_worker(
                hub, actors.tokens[name], bases, share, rng=random.Random(rng.random()), out=out
            )
            for name, share in zip(names, shares, strict=True)
        )
    )


def _shares(total: int, parts: int) -> list[int]:
    """`total` split over `parts` workers, the remainder to the first ones (sums to total)."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


# --- HTTP -------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One route to fuzz: method, path template, what its body is."""

    method: str
    path: str
    body: type[BaseModel] | Raw | None


def routes_of(app: web.Application) -> list[Route]:
    """Every route of the hub with its declared request body."""
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter")
        if not path or route.method == "HEAD":
            continue
        contract = wire_of(route.handler)
        body = contract.request if contract is not None else None
        found.append(Route(route.method, str(path), body))
    return found


_PARAM = re.compile(r"\{([^}]+)\}")


def _path(rng: random.Random, template: str, actors: Actors) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if rng.random() < 0.5:
            return actors.session_id if name == "session_id" else rng.choice(["1", "2"])
        return rng.choice(PATH_IDS)

    return _PARAM.sub(fill, template)


def _body(rng: random.Random, route: Route, kinds: list[str]) -> bytes:
    if isinstance(route.body, type):
        text = mutate(rng, sample(route.body), kinds)
        return text if isinstance(text, bytes) else text.encode("utf-8")
    if isinstance(route.body, Raw):
        return rng.choice([b"", b"\xff\xd8\xff" + rng.randbytes(200), b"code,name\n1,2\n",
                           b"{}", b"%PDF-1.4", rng.randbytes(64)])  # fmt: skip
    return rng.choice([b"", b"{}", b"junk"])


async def http_worker(
    hub: HubHarness,
    actors: Actors,
    routes: list[Route],
    count: int,
    *,
    rng: random.Random,
    out: Outcomes,
) -> None:
    """Send `count` mutated requests over one keep-alive session."""
    tokens = [*actors.tokens.values(), None, None, "junk"]
    connector = aiohttp.TCPConnector(ssl=hub.ssl(), limit=1)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(count):
            route = rng.choice(routes)
            path = _path(rng, route.path, actors)
            if rng.random() < 0.5:
                path += f"?{rng.choice(QUERY_KEYS)}={rng.choice(QUERY_VALUES)}"
            headers = {}
            token = rng.choice(tokens)
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            content_type = rng.choice(CONTENT_TYPES) if rng.random() < 0.3 else None
            if content_type is None and isinstance(route.body, type):
                content_type = "application/json"
            if content_type:
                headers["Content-Type"] = content_type
            data = _body(rng, route, ["a"]) if route.method != "GET" else None
            out.http_sent += 1
            try:
                async with session.request(
                    route.method, hub.url + path, data=data, headers=headers
                ) as resp:
                    await resp.read()
                    status = resp.status
            except (aiohttp.InvalidURL, ValueError):
                out.counts["http:client-refused"] += 1  # a path aiohttp will not send
                continue
            out.counts[f"http:{status}"] += 1
            if status >= 500:
                out.fail(f"http {status} {route.method} {path[:120]} body={data!r}"[:400])


async def fuzz_http(
    hub: HubHarness,
    actors: Actors,
    total: int,
    rng: random.Random,
    out: Outcomes,
    *,
    workers: int = 4,
) -> None:
    """`total` mutated requests over every route, from `workers` keep-alive clients."""
    routes = routes_of(hub.app)
    await asyncio.gather(
        *(
            http_worker(hub, actors, routes, share, rng=random.Random(rng.random()), out=out)
            for share in _shares(total, workers)
        )
    )


async def call_works(actors: Actors) -> bool:
    """A normal call flow afterwards: the kiosk and officer kept aside join and take."""
    kiosk, officer = actors.after
    await req(kiosk, QueueJoin(id="j"))
    while True:
        snapshot = await officer.skip_to("queue.snapshot")
        mine = [t for t in snapshot.tickets if t.kiosk_name == AFTER_KIOSK]
        if mine:
            break
    await req(officer, TicketTake(id="t", ticket_id=mine[0].ticket_id))
    started = await kiosk.skip_to("session.started")
    await req(kiosk, SessionEnd(id="e", session_id=started.session_id))
    return bool(started.session_id)
