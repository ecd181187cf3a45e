"""`GET /metrics` (loopback, an allowed network or a bearer token) and the counting middleware."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable

from aiohttp import web

from backoffice_console.hub.calls import CallStateReported, CallTaken, DeviceRelayed
from backoffice_console.hub.core.access import PUBLIC, allow
from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.http import Raw, wire
from backoffice_console.hub.core.ws import Connected, Disconnected, MessageRefused
from backoffice_console.hub.fleet import FLEET_KEY
from backoffice_console.hub.metrics.service import CONTENT_TYPE, METRICS_KEY, HubMetrics
from backoffice_console.hub.metrics.store import MetricsStore
from shared.protocol import ErrorCode

routes = web.RouteTableDef()

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _allowed(request: web.Request) -> bool:
    """Loopback always; else a configured network, or a configured bearer token."""
    config = request.app[CORE_KEY].config
    try:
        remote = ipaddress.ip_address((request.remote or "").split("%", 1)[0])
    except ValueError:
        return False
    if remote.is_loopback:
        return True
    if any(remote in ipaddress.ip_network(net, strict=False) for net in config.metrics_allow):
        return True
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(given) and any(
        hmac.compare_digest(given.encode(), token.encode()) for token in config.metrics_tokens
    )


@routes.get("/metrics")
@allow(PUBLIC)  # no account: a scraper is let in by address or bearer token (`_allowed`)
@wire(request=None, response=Raw("text/plain"))
async def metrics(request: web.Request) -> web.Response:
    """The hub's metrics in the Prometheus text format (operational data: access limited)."""
    if not _allowed(request):
        raise HubError(ErrorCode.FORBIDDEN, "metrics are for loopback or configured scrapers")
    body = await request.app[METRICS_KEY].render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


@web.middleware
async def count_replies(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count each reply by route and status (inside the error middleware: sees HubError)."""
    hub_metrics = request.app[METRICS_KEY]
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"

    def counted(status: str) -> None:
        hub_metrics.http_reply(request.method, route, status)

    try:
        response = await handler(request)
    except HubError as exc:
        counted(str(exc.http_status))
        raise
    except web.HTTPException as exc:
        counted(str(exc.status))
        raise
    except Exception:
        counted("500")
        raise
    counted(str(response.status))
    return response


def setup(app: web.Application) -> None:
    """Build the metrics, hear the events they count, add `/metrics` and the middleware."""
    core = app[CORE_KEY]
    hub_metrics = HubMetrics(MetricsStore(core.db), core.registry, app[FLEET_KEY])
    app[METRICS_KEY] = hub_metrics
    core.bus.subscribe(Connected, hub_metrics.on_connected)
    core.bus.subscribe(Disconnected, hub_metrics.on_disconnected)
    core.bus.subscribe(MessageRefused, hub_metrics.on_refused)
    core.bus.subscribe(CallTaken, hub_metrics.on_call_taken)
    core.bus.subscribe(CallStateReported, hub_metrics.on_call_state)
    core.bus.subscribe(DeviceRelayed, hub_metrics.on_device)
    app.middlewares.append(count_replies)
    app.add_routes(routes)
