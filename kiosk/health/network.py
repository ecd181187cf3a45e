"""Checks of the kiosk's network: the hub (latency, clock skew, TLS certificate) and TURN."""

from __future__ import annotations

import asyncio
import ssl
import time
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from pydantic import ValidationError

from kiosk.health.base import result
from kiosk.health.config import HealthSection
from shared.hubclient import make_ssl_context
from shared.protocol.health import CheckResult, CheckStatus
from shared.protocol.http import HubHealth, invalid_text


async def _certificate_days(host: str, port: int, context: ssl.SSLContext) -> float:
    """Days until the hub's certificate expires (it has passed verification by then)."""
    _, writer = await asyncio.open_connection(host, port, ssl=context, server_hostname=host)
    try:
        cert = writer.get_extra_info("peercert") or {}
    finally:
        writer.close()
        await writer.wait_closed()
    not_after = cert.get("notAfter")
    if not not_after:
        raise ssl.SSLError("the hub's certificate has no expiry date")
    return (ssl.cert_time_to_seconds(not_after) - time.time()) / 86_400.0


async def check_hub(
    url: str, ca_file: Path | None, limits: HealthSection, timeout: float = 5.0
) -> CheckResult:
    """Reach `GET /api/v1/health`: round trip, the hub's clock against ours, TLS days left."""
    part = "hub"
    parts = urlsplit(url)
    tls = parts.scheme == "https"
    context = make_ssl_context(ca_file) if tls else None
    try:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=context if context is not None else False),
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as session:
            sent_wall, sent = time.time(), time.monotonic()
            async with session.get(f"{url.rstrip('/')}/api/v1/health") as resp:
                body = await resp.json(content_type=None)
                rtt = time.monotonic() - sent
                if resp.status != 200:
                    raise aiohttp.ClientResponseError(
                        resp.request_info, (), status=resp.status, message=str(body)[:80]
                    )
                health = HubHealth.model_validate(body)
        days = None
        if context is not None:
            days = await _certificate_days(parts.hostname or "", parts.port or 443, context)
    except (ssl.SSLError, aiohttp.ClientSSLError) as exc:
        return result(part, CheckStatus.FAILED, "hub.tls_bad", url, detail=str(exc)[:120])
    except ValidationError as exc:  # something answers there, but not a hub
        return result(
            part, CheckStatus.FAILED, "hub.unreachable", url, detail=invalid_text(exc, 120)
        )
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
        return result(
            part, CheckStatus.FAILED, "hub.unreachable", url, detail=str(exc)[:120] or "timeout"
        )
    hub_time = health.time.timestamp()
    # The hub read its clock about half way through the round trip.
    skew = hub_time - (sent_wall + rtt / 2)
    latency_ms = rtt * 1000
    value = f"{latency_ms:.0f} ms; skew {skew:+.1f} s"
    value += f"; TLS {days:.0f} days left" if days is not None else "; no TLS"
    if abs(skew) >= limits.skew_fail_s:
        return result(part, CheckStatus.FAILED, "hub.skew", value, skew=f"{skew:+.0f}")
    if days is not None and days < limits.tls_warn_days:
        return result(part, CheckStatus.WARNING, "hub.tls_expiring", value, days=f"{days:.0f}")
    if abs(skew) >= limits.skew_warn_s:
        return result(part, CheckStatus.WARNING, "hub.skew", value, skew=f"{skew:+.0f}")
    if latency_ms >= limits.latency_warn_ms:
        return result(part, CheckStatus.WARNING, "hub.slow", value, ms=f"{latency_ms:.0f}")
    if not tls:
        return result(part, CheckStatus.WARNING, "hub.no_tls", value)
    return result(part, CheckStatus.OK, "hub.ok", value, ms=f"{latency_ms:.0f}")


async def check_turn(limits: HealthSection) -> CheckResult:
    """Allocate a relay on the configured TURN server; not present when none is configured."""
    part = "turn"
    if limits.turn_url is None:
        return result(part, CheckStatus.ABSENT, "turn.absent")
    from aioice.turn import create_turn_endpoint  # noqa: PLC0415 - only when TURN is configured

    scheme, _, rest = limits.turn_url.partition(":")
    address = rest.split("?", 1)[0]
    host, _, port_text = address.rpartition(":")
    if not host or not port_text.isdigit():
        host, port_text = address, "5349" if scheme == "turns" else "3478"
    started = time.monotonic()
    try:
        transport, _ = await create_turn_endpoint(
            asyncio.DatagramProtocol,
            server_addr=(host, int(port_text)),
            username=limits.turn_username or None,
            password=limits.turn_password or None,
            ssl=scheme == "turns",
            transport="tcp" if scheme == "turns" else "udp",
        )
    except (OSError, ConnectionError, TimeoutError, ValueError) as exc:
        return result(part, CheckStatus.FAILED, "turn.failed", address, detail=str(exc)[:120])
    try:
        relayed = transport.get_extra_info("sockname")
    finally:
        transport.close()
    took_ms = 1000 * (time.monotonic() - started)
    value = f"{address}: relay {relayed[0]}:{relayed[1]} in {took_ms:.0f} ms"
    return result(part, CheckStatus.OK, "turn.ok", value)
