"""The hub's metrics: counters fed by events and the HTTP middleware, gauges read per scrape.

Each hub application has its own `CollectorRegistry` (two hubs in one test process keep
apart). Labels are bounded: route templates, error codes, device stages, part names.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from backoffice_console.hub.calls import CallStateReported, CallTaken, DeviceRelayed
from backoffice_console.hub.core.connections import Registry
from backoffice_console.hub.core.ws import Connected, Disconnected, MessageRefused
from backoffice_console.hub.fleet import Fleet
from backoffice_console.hub.metrics.store import MetricsStore
from shared.protocol import DeviceCommand, DeviceFailed, DeviceProgress, Role

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_NORMAL_CLOSE = {1000, 1001}
_SEEN_LIMIT = 10_000


class HubMetrics:
    """Every metric of one hub (see docs/ARCHITECTURE.md, "metrics")."""

    def __init__(self, store: MetricsStore, registry: Registry, fleet: Fleet) -> None:
        self._store = store
        self._connections = registry
        self._fleet = fleet
        self._setup_seen: OrderedDict[str, None] = OrderedDict()
        r = self.registry = CollectorRegistry()
        self.connected = Gauge(
            "vw_hub_connected_clients", "Open websockets by kind", ["kind"], registry=r
        )
        self.queue_length = Gauge("vw_hub_queue_length", "Tickets waiting", registry=r)
        self.queue_oldest = Gauge(
            "vw_hub_queue_oldest_wait_seconds",
            "How long the oldest waiting ticket waits",
            registry=r,
        )
        self.calls_active = Gauge("vw_hub_calls_active", "Call sessions not ended", registry=r)
        self.health_failing = Gauge(
            "vw_hub_kiosks_failing", "Kiosks whose latest health report fails a part", ["part"],
            registry=r,
        )  # fmt: skip
        self.queue_wait = Histogram(
            "vw_hub_queue_wait_seconds", "Wait from queue join to an officer taking the ticket",
            buckets=(5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600), registry=r,
        )  # fmt: skip
        self.call_setup = Histogram(
            "vw_hub_call_setup_seconds", "From a ticket taken to media connected",
            buckets=(0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60), registry=r,
        )  # fmt: skip
        self.calls_taken = Counter("vw_hub_calls_taken", "Tickets taken by an officer", registry=r)
        self.pages = Counter(
            "vw_hub_pages", "Page uploads by result (stored, refused)", ["result"], registry=r
        )
        self.print_jobs = Counter(
            "vw_hub_print_jobs", "Print commands and their reported states", ["state"], registry=r
        )
        self.http_errors = Counter(
            "vw_hub_http_errors", "HTTP replies with an error", ["route", "status"], registry=r
        )
        self.ws_opened = Counter(
            "vw_hub_websocket_connections", "Websockets opened by kind", ["kind"], registry=r
        )
        self.ws_errors = Counter(
            "vw_hub_websocket_errors", "Websockets that ended abnormally, by close code",
            ["code"], registry=r,
        )  # fmt: skip
        self.ws_refused = Counter(
            "vw_hub_websocket_refused", "Websocket messages answered with an error, by code",
            ["code"], registry=r,
        )  # fmt: skip

    # --- events ------------------------------------------------------------------

    async def on_connected(self, event: Connected) -> None:
        """A websocket opened."""
        self.ws_opened.labels(_kind(event.conn.principal.role)).inc()

    async def on_disconnected(self, event: Disconnected) -> None:
        """A websocket closed: abnormal close codes count as errors."""
        code = event.conn.ws.close_code
        if code is None or code not in _NORMAL_CLOSE:
            self.ws_errors.labels(str(code) if code is not None else "none").inc()

    async def on_refused(self, event: MessageRefused) -> None:
        """A websocket message was refused (malformed, unauthorised, out of order)."""
        self.ws_refused.labels(event.code).inc()

    async def on_call_taken(self, event: CallTaken) -> None:
        """A ticket was taken: how long it had waited."""
        self.calls_taken.inc()
        wait, _ = await self._store.timings(event.session_id)
        if wait is not None:
            self.queue_wait.observe(wait)

    async def on_call_state(self, event: CallStateReported) -> None:
        """The first `connected` of a session gives its set-up time (once per session)."""
        if event.state != "connected" or event.session_id in self._setup_seen:
            return
        _, setup = await self._store.timings(event.session_id)
        if setup is None:
            return
        self._setup_seen[event.session_id] = None
        while len(self._setup_seen) > _SEEN_LIMIT:
            self._setup_seen.popitem(last=False)
        self.call_setup.observe(setup)

    async def on_device(self, event: DeviceRelayed) -> None:
        """Print commands and the states the kiosk reports for them."""
        message = event.message
        if isinstance(message, DeviceCommand) and message.kind == "print":
            self.print_jobs.labels("requested").inc()
        elif isinstance(message, DeviceProgress) and message.kind == "print":
            self.print_jobs.labels(str(message.stage)).inc()
        elif isinstance(message, DeviceFailed) and message.kind == "print":
            self.print_jobs.labels(f"failed_{message.code}").inc()

    # --- HTTP ----------------------------------------------------------------------

    def http_reply(self, method: str, route: str, status: str) -> None:
        """Count one reply to `method` on the route template `route` with HTTP `status`."""
        if route == "/api/v1/sessions/{session_id}/materials" and method == "POST":
            self.pages.labels("stored" if status.startswith("2") else "refused").inc()
        if not status.startswith(("1", "2", "3")):
            self.http_errors.labels(route, status).inc()

    # --- scrape ----------------------------------------------------------------------

    async def render(self) -> bytes:
        """Read the gauges, then the whole registry in the Prometheus text format."""
        kinds = {"kiosk": 0, "console": 0}
        for conn in self._connections.all():
            kinds[_kind(conn.principal.role)] += 1
        for kind, count in kinds.items():
            self.connected.labels(kind).set(count)
        waiting, oldest = await self._store.queue()
        self.queue_length.set(waiting)
        now = dt.datetime.now(dt.UTC)
        self.queue_oldest.set(0 if oldest is None else max(0, (now - _utc(oldest)).total_seconds()))
        self.calls_active.set(await self._store.live_calls())
        failing: dict[str, int] = {}
        for point in await self._fleet.care.overview():
            for kiosk in point["kiosks"]:
                for part in kiosk["failed"]:
                    failing[part] = failing.get(part, 0) + 1
        self.health_failing.clear()
        for part, count in failing.items():
            self.health_failing.labels(part).set(count)
        return generate_latest(self.registry)


def _kind(role: Role) -> str:
    return "kiosk" if role is Role.KIOSK else "console"


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


METRICS_KEY = web.AppKey("metrics", HubMetrics)
