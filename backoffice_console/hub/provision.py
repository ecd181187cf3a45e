"""Offline administration: `init` a hub folder, add users, make enrolment codes."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from backoffice_console.hub.accounts import AccountStore, account_store
from backoffice_console.hub.core.audit_verify import ChainReport, verify_chain
from backoffice_console.hub.core.config import HubConfig, load_hub_config, render_config
from backoffice_console.hub.core.vault import create_identity_key
from backoffice_console.hub.db import Database
from backoffice_console.hub.tls import ensure_tls
from shared.protocol import Role

CONFIG_NAME = "hub.toml"


def prepare_dir(directory: Path, hostnames: list[str], port: int = 8443) -> HubConfig:
    """Write hub.toml (unless present), the TLS files and the identity key; returns the config.

    Idempotent: an existing hub.toml, CA and identity key are kept.
    """
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / CONFIG_NAME
    if not config_path.exists():
        config_path.write_text(render_config(port, hostnames), encoding="utf-8")
    config = load_hub_config(config_path)
    ensure_tls(config.tls_cert.parent, hostnames)
    create_identity_key(config.identity_key_file)
    return config


def init_dir(directory: Path, hostnames: list[str], port: int = 8443) -> Path:
    """`vw-hub init`: `prepare_dir` plus a migrated database; returns the hub.toml path."""
    config = prepare_dir(directory, hostnames, port)
    asyncio.run(migrate(config))
    return config.config_dir / CONFIG_NAME


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
