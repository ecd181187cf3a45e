"""Offline administration: `init` a hub folder, add users, make enrolment codes."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import pwd
from pathlib import Path

from backoffice_console.hub.accounts import AccountStore, account_store
from backoffice_console.hub.core.audit_verify import ChainReport, verify_chain
from backoffice_console.hub.core.config import (
    ALL_ADDRESSES,
    HubConfig,
    Layout,
    load_hub_config,
    render_config,
)
from backoffice_console.hub.core.vault import create_identity_key
from backoffice_console.hub.db import Database, head_revision
from backoffice_console.hub.tls import ensure_tls
from shared.private_files import GROUP_READ, open_private
from shared.protocol import Role

CONFIG_NAME = "hub.toml"


PACKAGED = Layout(
    config_dir=Path("/etc/vw-hub"),
    state_dir=Path("/var/lib/vw-hub"),
    log_dir=Path("/var/log/vw-hub"),
)
"""Where the Debian package's hub keeps its files (the unit's Configuration-, State- and
LogsDirectory)."""


def default_listen(hostnames: list[str]) -> str:
    """Every address when the hub has a public name (kiosks must reach it), else loopback."""
    return ALL_ADDRESSES if hostnames else "127.0.0.1"


def prepare_dir(
    directory: Path | Layout,
    hostnames: list[str],
    port: int = 8443,
    listen: str | None = None,
) -> HubConfig:
    """Write hub.toml (unless present), the TLS files and the identity key; returns the config.

    `directory` is a folder holding everything (a developer's hub, the demo, the tests) or a
    `Layout` of separate config, state and log folders. Idempotent: an existing hub.toml,
    CA and identity key are kept.
    """
    layout = directory if isinstance(directory, Layout) else Layout.single(directory)
    layout.config_dir.mkdir(parents=True, exist_ok=True)
    config_path = layout.config_dir / CONFIG_NAME
    if not config_path.exists():
        text = render_config(
            port,
            hostnames,
            listen=default_listen(hostnames) if listen is None else listen,
            state_dir=layout.state_for_config(),
            log_dir=layout.log_for_config(),
        )
        fd = open_private(config_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, GROUP_READ)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
    config = load_hub_config(config_path)
    config.state_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
    ensure_tls(config.tls_cert.parent, hostnames)
    create_identity_key(config.identity_key_file)
    return config


def init_dir(
    directory: Path | Layout,
    hostnames: list[str],
    port: int = 8443,
    listen: str | None = None,
    owner: str | None = None,
) -> Path:
    """`vw-hub init`: `prepare_dir` plus a migrated database; returns the hub.toml path.

    `owner` (a system user, init run as root): the state and log folders become the
    user's, hub.toml readable by its group, so the service can run as that user.
    """
    config = prepare_dir(directory, hostnames, port, listen)
    asyncio.run(migrate(config))
    if owner is not None:
        give_to(owner, config)
    return config.config_dir / CONFIG_NAME


def give_to(owner: str, config: HubConfig) -> None:
    """Hand the hub's state and logs to `owner`; hub.toml and its folder to root and its group."""
    entry = pwd.getpwnam(owner)
    # The service reads hub.toml but may not change it: root's, readable by its group.
    os.chown(config.config_dir, 0, entry.pw_gid)
    os.chmod(config.config_dir, 0o750)
    os.chown(config.config_dir / CONFIG_NAME, 0, entry.pw_gid)
    for top in (config.state_dir, config.log_dir):
        if top is None:
            continue
        top.mkdir(parents=True, exist_ok=True)
        for path in (top, *top.rglob("*")):
            os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)


async def current_revision(config: HubConfig) -> tuple[str | None, str]:
    """The database's Alembic revision (None: never migrated) and the code's head."""
    db = Database(config.db_url)
    try:
        return await db.revision(), head_revision()
    finally:
        await db.dispose()


async def migrate(config: HubConfig) -> None:
    """Bring the configured database to the newest schema."""
    db = Database(config.db_url)
    try:
        await db.migrate()
    finally:
        await db.dispose()


def _accounts(config: HubConfig) -> tuple[Database, AccountStore]:
    db = Database(config.db_url)
    return db, account_store(db, config)


async def add_user(
    config: HubConfig, username: str, display_name: str, role: Role, password: str
) -> int:
    """Create a user in the configured database; returns the new id."""
    db, accounts = _accounts(config)
    try:
        await db.migrate()
        return await accounts.create_user(username, display_name, role, password)
    finally:
        await db.dispose()


async def enroll_code(
    config: HubConfig, point: str, kiosk_name: str, ttl_hours: float
) -> tuple[str, dt.datetime]:
    """Create a one-time enrolment code; returns it and its expiry."""
    db, accounts = _accounts(config)
    try:
        await db.migrate()
        return await accounts.create_enrollment_code(
            point, kiosk_name, dt.timedelta(hours=ttl_hours)
        )
    finally:
        await db.dispose()


async def verify_audit(config: HubConfig) -> ChainReport:
    """`vw-hub audit verify`: prove the configured database's audit chain."""
    db = Database(config.db_url)
    try:
        await db.migrate()
        return await verify_chain(db)
    finally:
        await db.dispose()
