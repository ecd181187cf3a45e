"""Nothing on the wire makes the hub err: a bounded fuzz run against a real hub.

A real hub (TLS, SQLite, every domain) gets mutated websocket messages of every client
type from nine authenticated sockets (kiosks, officers, supervisor, technician, admin)
and mutated HTTP requests over every route, authenticated and anonymous. The pass line:
no `internal` reply, no 1011 close, no 500, no traceback or error in the hub's log, a
welcome before anything else on every socket, and a normal call afterwards.
The long run is `bench/fuzz.py`.
"""

from __future__ import annotations

import os
import random

from tests.support.hub_fixtures import HubHarness
from tests.support.wire_fuzz import (
    LogWatch,
    Outcomes,
    call_works,
    fuzz_http,
    fuzz_websocket,
    set_up_actors,
)

WS_MESSAGES = int(os.environ.get("VW_FUZZ_WS", "8100"))
HTTP_REQUESTS = int(os.environ.get("VW_FUZZ_HTTP", "2400"))
SEED = int(os.environ.get("VW_FUZZ_SEED", "20261207"))


async def test_mutated_traffic_gets_clean_answers_only(hub: HubHarness) -> None:
    rng = random.Random(SEED)
    out = Outcomes()
    actors = await set_up_actors(hub)
    with LogWatch() as watch:
        await fuzz_websocket(hub, actors, WS_MESSAGES, rng, out)
        await fuzz_http(hub, actors, HTTP_REQUESTS, rng, out)
    assert out.forbidden == 0, (out.counts, out.failures)
    assert (watch.tracebacks, watch.errors) == (0, 0), watch.samples
    # It really was exercised: refusals of every kind, and some messages accepted.
    assert (out.ws_sent, out.http_sent) == (WS_MESSAGES, HTTP_REQUESTS)
    for seen in ("ws:error:bad_json", "ws:error:bad_message", "ws:ack", "http:400", "http:404"):
        assert out.counts[seen] > 0, (seen, out.counts)
    assert await call_works(actors)
