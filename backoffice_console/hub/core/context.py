"""What every domain stands on, built once per application (`CORE_KEY` on the aiohttp app)."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from backoffice_console.hub import __version__
from backoffice_console.hub.core.audit import AuditLog
from backoffice_console.hub.core.config import HubConfig
from backoffice_console.hub.core.connections import Registry
from backoffice_console.hub.core.events import EventBus
from backoffice_console.hub.core.principal import Authenticator
from backoffice_console.hub.core.vault import IdentityVault, load_vault
from backoffice_console.hub.db import Database


@dataclass
class HubCore:
    """The configuration, database, live connections, event bus and audit log of one hub."""

    config: HubConfig
    db: Database
    audit: AuditLog
    registry: Registry = field(default_factory=Registry)
    bus: EventBus = field(default_factory=EventBus)
    version: str = __version__
    websockets: set[web.WebSocketResponse] = field(default_factory=set)
    vault: IdentityVault | None = None
    """The key for personal data at rest; None when the key file is missing or bad."""
    stopping: bool = False
    """Set at shutdown: connections closing then are not a peer going away."""
    anonymous: dict[str, int] = field(default_factory=dict)
    """Requests without credentials in flight, by client address (`anonymous_limit_middleware`)."""
    _authenticator: Authenticator | None = None

    @classmethod
    def create(cls, config: HubConfig) -> HubCore:
        """The core of a hub with `config` (nothing is opened until start-up)."""
        db = Database(config.db_url)
        return cls(
            config=config, db=db, audit=AuditLog(db), vault=load_vault(config.identity_key_file)
        )

    def provide_authenticator(self, authenticator: Authenticator) -> None:
        """Install who resolves bearer tokens (the accounts domain, at its set-up)."""
        self._authenticator = authenticator

    def authenticator(self) -> Authenticator:
        """Who resolves bearer tokens; a hub without the accounts domain cannot authenticate."""
        if self._authenticator is None:
            raise RuntimeError("no authenticator: the accounts domain is not set up")
        return self._authenticator


CORE_KEY = web.AppKey("core", HubCore)
