"""Helpers for the hub tests: a real hub on a loopback port with TLS, and scripted clients."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import update

from backoffice_console.hub.accounts import ACCOUNTS_KEY, AccountStore, Login, Token
from backoffice_console.hub.calls import CALLS_KEY, CallStore
from backoffice_console.hub.catalogue import CATALOGUE_KEY, CatalogueStore
from backoffice_console.hub.core.config import HubConfig
from backoffice_console.hub.core.connections import Registry
from backoffice_console.hub.core.context import CORE_KEY, HubCore
from backoffice_console.hub.db import Database, utcnow
from backoffice_console.hub.identity import IDENTITY_KEY, IdentityStore
from backoffice_console.hub.provision import prepare_dir
from backoffice_console.hub.routing import ROUTING_KEY, Router
from backoffice_console.hub.server import start
from shared.hubclient import DeviceCredential, HubClient, HubRequestError, make_ssl_context
from shared.protocol import Role

PASSWORD = "correct horse 1"
WAIT = 5.0


class HubView:
    """A running hub's services as the tests reach them (core and each domain's service)."""

    def __init__(self, app: web.Application) -> None:
        self.app = app

    @property
    def core(self) -> HubCore:
        """Configuration, database, connections, bus and audit log."""
        return self.app[CORE_KEY]

    @property
    def db(self) -> Database:
        """The hub's database."""
        return self.core.db

    @property
    def config(self) -> HubConfig:
        """The hub's configuration."""
        return self.core.config

    @property
    def registry(self) -> Registry:
        """Live websocket connections."""
        return self.core.registry

    @property
    def accounts(self) -> AccountStore:
        """Users, kiosks and tokens."""
        return self.app[ACCOUNTS_KEY].store

    @property
    def calls(self) -> CallStore:
        """Tickets and sessions."""
        return self.app[CALLS_KEY].calls

    @property
    def catalogue(self) -> CatalogueStore:
        """The matter catalogue."""
        return self.app[CATALOGUE_KEY]

    @property
    def identities(self) -> IdentityStore:
        """Identities in sessions."""
        return self.app[IDENTITY_KEY]

    @property
    def router(self) -> Router:
        """The routing rules."""
        return self.app[ROUTING_KEY]


class Peer:
    """A HubClient whose unsolicited messages queue up for the test to inspect."""

    def __init__(self, url: str, ca: Path) -> None:
        self.inbox: asyncio.Queue[Any] = asyncio.Queue()
        self.client = HubClient(url, ca, self._got)

    async def _got(self, message: Any) -> None:
        await self.inbox.put(message)

    async def next(self, kind: str | None = None, timeout: float = WAIT) -> Any:
        """The next message (asserting its type when given)."""
        message = await asyncio.wait_for(self.inbox.get(), timeout)
        if kind is not None:
            assert message.type == kind, f"expected {kind}, got {message!r}"
        return message

    async def skip_to(self, kind: str, timeout: float = WAIT) -> Any:
        """Drop messages until one of type `kind` arrives."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.inbox.get()
                if message.type == kind:
                    return message

    async def quiet(self, seconds: float = 0.2) -> None:
        """Assert nothing arrives for a short while."""
        await asyncio.sleep(seconds)  # not a wait: watching that nothing arrives
        assert self.inbox.empty(), f"unexpected: {self.inbox.get_nowait()!r}"

    async def close(self) -> None:
        """Close the client (bounded)."""
        await asyncio.wait_for(self.client.close(), WAIT)


@dataclass
class HubHarness:
    """A running hub plus ways to make users, kiosks and connected clients."""

    url: str
    ca: Path
    hub: HubView
    peers: list[Peer] = field(default_factory=list)
    app: Any = None
    """The hub's aiohttp application (for services kept under its own AppKey)."""

    def ssl(self) -> Any:
        """Client TLS context trusting the hub's CA."""
        return make_ssl_context(self.ca)

    async def user(self, username: str, role: Role = Role.OFFICER, name: str = "") -> int:
        """Create a user with PASSWORD."""
        return await self.hub.accounts.create_user(username, name or username, role, PASSWORD)

    async def officer(self, username: str, role: Role = Role.OFFICER) -> Peer:
        """A connected console of a new user."""
        await self.user(username, role, name=f"officer {username}")
        peer = Peer(self.url, self.ca)
        self.peers.append(peer)
        await asyncio.wait_for(peer.client.login_officer(username, PASSWORD), WAIT)
        await asyncio.wait_for(peer.client.connect(), WAIT)
        return peer

    async def kiosk_credential(self, name: str, point: str = "某某社区居委会") -> DeviceCredential:
        """Enrol a kiosk through the HTTP API."""
        code, _ = await self.hub.accounts.create_enrollment_code(point, name)
        client = HubClient(self.url, self.ca, _ignore)
        try:
            return await asyncio.wait_for(client.enroll(code, name), WAIT)
        finally:
            await client.close()

    async def kiosk(self, name: str, point: str = "某某社区居委会") -> Peer:
        """A connected, newly enrolled kiosk."""
        credential = await self.kiosk_credential(name, point)
        peer = Peer(self.url, self.ca)
        self.peers.append(peer)
        await asyncio.wait_for(peer.client.login_device(credential), WAIT)
        await asyncio.wait_for(peer.client.connect(), WAIT)
        return peer

    async def raw_ws(self, token: str) -> aiohttp.ClientWebSocketResponse:
        """A bare websocket (for sending malformed frames); caller closes its session."""
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=self.ssl()))
        ws = await session.ws_connect(
            f"{self.url.replace('https', 'wss')}/ws",
            headers={"Authorization": f"Bearer {token}"},
            max_msg_size=0,
        )
        ws._test_session = session  # type: ignore[attr-defined]
        return ws


async def _ignore(_: Any) -> None:
    return None


async def expire_login(hub: HubHarness, login_id: int) -> None:
    """Let a log-in's access token run out now (as if its client had stopped refreshing)."""
    past = utcnow() - dt.timedelta(seconds=1)
    async with hub.hub.db.session() as s, s.begin():
        await s.execute(update(Login).where(Login.id == login_id).values(access_expires_at=past))
        await s.execute(update(Token).where(Token.login_id == login_id).values(expires_at=past))


async def close_raw(ws: aiohttp.ClientWebSocketResponse) -> None:
    """Close a websocket from `raw_ws` and its session."""
    await ws.close()
    await ws._test_session.close()  # type: ignore[attr-defined]


class ContractBreaks(logging.Handler):
    """The replies `contract_middleware` found breaking their declared model (its log)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "breaks its contract" in record.getMessage():
            self.found.append(record.getMessage())


def use_database(config_path: Path, database_url: str | None) -> None:
    """Points a hub folder's hub.toml at `database_url` (None keeps its SQLite file)."""
    if database_url is not None:
        text = config_path.read_text(encoding="utf-8")
        config_path.write_text(f'database_url = "{database_url}"\n{text}', encoding="utf-8")


@contextlib.asynccontextmanager
async def running_hub(
    directory: Path, database_url: str | None = None, **settings: Any
) -> AsyncIterator[HubHarness]:
    """A hub with TLS on 127.0.0.1 and a random port, its files in `directory`.

    `database_url` None means the default SQLite file in `directory`; `settings` are
    `HubConfig` fields to change (`header_timeout_s=0.5`). Every reply is
    checked against its declared model (`check_replies`): a test whose hub sent one
    that breaks it fails, even when the test itself accepted the 500 it became.
    """
    config = prepare_dir(directory, [], port=0)
    config.log_dir = None
    config.check_replies = True
    if database_url is not None:
        config.database_url = database_url
    for name, value in settings.items():  # e.g. session_recheck_s for the re-check tests
        setattr(config, name, value)
    breaks = ContractBreaks()
    contract_log = logging.getLogger("backoffice_console.hub.core.http")
    contract_log.addHandler(breaks)
    runner, url = await asyncio.wait_for(start(config, 0), 30)
    harness = HubHarness(
        url=url, ca=config.tls_cert.parent / "ca.pem", hub=HubView(runner.app), app=runner.app
    )
    try:
        yield harness
    finally:
        for peer in harness.peers:
            await peer.close()
        await asyncio.wait_for(runner.cleanup(), 30)
        contract_log.removeHandler(breaks)
    assert breaks.found == [], f"replies broke their declared contract: {breaks.found}"


@pytest.fixture(name="hub")
async def hub_fixture(tmp_path: Path) -> AsyncIterator[HubHarness]:
    """A hub with TLS on 127.0.0.1 and a random port, on SQLite in tmp_path."""
    async with running_hub(tmp_path / "hub") as harness:
        yield harness


async def req(peer: Peer, message: object) -> None:
    """Send `message` as a request and wait (bounded) for the hub's answer."""
    await asyncio.wait_for(peer.client.request(message), WAIT)  # type: ignore[arg-type]


async def refusal(peer: Peer, message: object) -> HubRequestError:
    """The error the hub answers `message` with; fails the test when the hub accepts it."""
    with pytest.raises(HubRequestError) as err:
        await req(peer, message)
    return err.value


async def refused(peer: Peer, message: object) -> str:
    """The error code the hub answers `message` with (see `refusal`)."""
    return (await refusal(peer, message)).code
