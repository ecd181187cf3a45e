"""Run the hub: HTTPS + WSS on one port until SIGTERM/SIGINT, then a clean shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import ssl
import sys

from aiohttp import web

from backoffice_console.hub.app import build_app
from backoffice_console.hub.core.config import ALL_ADDRESSES, HubConfig
from backoffice_console.hub.supervision import Supervision

log = logging.getLogger(__name__)


def server_ssl_context(config: HubConfig) -> ssl.SSLContext | None:
    """TLS context from the configured certificate, or None when `tls = false` (tests only)."""
    if not config.tls:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(config.tls_cert), str(config.tls_key))
    return context


def url_of(scheme: str, host: str, port: int) -> str:
    """`scheme://host:port`, with IPv6 hosts in brackets."""
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


async def start(config: HubConfig, port: int | None = None) -> tuple[web.AppRunner, str]:
    """Start serving; returns the runner (call `cleanup()` to stop) and the base URL."""
    runner = web.AppRunner(
        build_app(config),
        handle_signals=False,
        access_log=None,
        shutdown_timeout=5.0,
        # aiohttp's keep-alive timer also runs from a connection's first byte until its
        # request head is complete: a slow or silent client is closed after this.
        keepalive_timeout=config.header_timeout_s,
    )
    await runner.setup()
    try:
        # None makes asyncio bind every address of every family (IPv4 and IPv6).
        host = None if config.listen_host == ALL_ADDRESSES else config.listen_host
        site = web.TCPSite(
            runner,
            host,
            config.listen_port if port is None else port,
            ssl_context=server_ssl_context(config),
        )
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound = runner.addresses[0][1]
    # Listening everywhere includes loopback, the address a local client can always use.
    local = "127.0.0.1" if host is None else config.listen_host
    return runner, url_of("https" if config.tls else "http", local, bound)


async def serve(config: HubConfig, port: int | None = None) -> None:
    """Serve until SIGTERM or SIGINT; prints `listening on URL` once ready.

    Under systemd (`Type=notify`) it also sends READY=1 once listening, WATCHDOG=1 from
    its loop while it runs and STOPPING=1 when asked to stop.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner, url = await start(config, port)
    supervision = Supervision()
    log.info("listening on %s (addresses %s)", url, runner.addresses)
    print(f"listening on {url}", flush=True)
    supervision.started(url)
    try:
        await stop.wait()
        log.info("stopping")
        await supervision.stopping()
    finally:
        await runner.cleanup()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
    log.info("stopped")
    sys.stdout.flush()
