"""`vw-hub`: the hub's command line (init, users, codes, catalogue, db, backup,
audit verify, serve).

Every command runs under a umask that keeps what it creates from other users (the
database, logs and keys hold personal data or secrets), and takes `--version`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import pwd
import sys
from pathlib import Path

from backoffice_console.hub import __version__, provision, routing
from backoffice_console.hub.backup import BackupError, backup, restore
from backoffice_console.hub.catalogue import import_catalogue_cli
from backoffice_console.hub.core import security_log
from backoffice_console.hub.core.config import HubConfig, Layout, load_hub_config
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.provision import PACKAGED
from backoffice_console.hub.sealed_stream import SealError, create_key_file
from backoffice_console.hub.server import serve
from shared.config import ConfigError
from shared.logs import add_security_log, setup_logging
from shared.memory import keep_large_buffers
from shared.private_files import tighten_umask
from shared.protocol import Role

SECURITY_LOGGERS = ("vw.security", "backoffice_console.hub.accounts")
"""What the security log keeps: every audit row, logins (failed ones too), enrolments."""


VERSION = f"vw-hub {__version__}"


def _default_config() -> str | None:
    packaged = PACKAGED.config_dir / provision.CONFIG_NAME
    return os.environ.get("VW_HUB_CONFIG") or (str(packaged) if packaged.exists() else None)


class _Sub:
    """`add_parser` that gives every command `--version` too."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self._sub = parser.add_subparsers(dest="command", required=True)

    def add(self, name: str, **kwargs: str) -> argparse.ArgumentParser:
        command = self._sub.add_parser(name, **kwargs)  # type: ignore[arg-type]
        command.add_argument("--version", action="version", version=VERSION)
        return command


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vw-hub", description="Remote Virtual Window hub")
    parser.add_argument("--version", action="version", version=VERSION)
    parser.add_argument(
        "--config",
        type=Path,
        default=_default_config(),
        help=f"hub.toml (default: $VW_HUB_CONFIG, else {PACKAGED.config_dir}/hub.toml)",
    )
    sub = _Sub(parser)

    init = sub.add("init", help="create a hub (config, TLS, keys, database)")
    init.add_argument(
        "--dir", type=Path, help="one folder for everything (else the packaged folders below)"
    )
    init.add_argument("--config-dir", type=Path, help=f"default {PACKAGED.config_dir}")
    init.add_argument("--state-dir", type=Path, help=f"default {PACKAGED.state_dir}")
    init.add_argument(
        "--log-dir", help=f"default {PACKAGED.log_dir}; 'journal': no log files, journald only"
    )
    init.add_argument("--hostname", action="append", default=[], help="extra certificate name")
    init.add_argument("--port", type=int, default=8443)
    init.add_argument(
        "--listen",
        help="address to listen on, '*' for all (default: all with --hostname, else loopback)",
    )
    init.add_argument("--owner", help="system user the service runs as (init run as root)")

    user = sub.add("add-user", help="add an officer, technician or admin")
    user.add_argument("--username", required=True)
    user.add_argument("--display-name", required=True)
    user.add_argument(
        "--role",
        choices=["officer", "supervisor", "technician", "admin", "auditor"],
        default="officer",
    )
    user.add_argument(
        "--lines", default="*", help="line codes the officer takes, e.g. civil,medins (* = all)"
    )
    source = user.add_mutually_exclusive_group(required=True)
    source.add_argument("--password-file", type=Path)
    source.add_argument("--password-stdin", action="store_true")

    code = sub.add("enroll-code", help="make a one-time kiosk enrolment code")
    code.add_argument("--point", required=True, help="service point name (created if missing)")
    code.add_argument("--kiosk-name", required=True)
    code.add_argument("--ttl-hours", type=float, default=24.0)

    catalogue = sub.add("import-catalogue", help="import a matter catalogue file")
    catalogue.add_argument("file", type=Path, help="JSON, or CSV (by the .csv suffix)")
    catalogue.add_argument("--dry-run", action="store_true", help="show the diff, change nothing")

    audit = sub.add("audit", help="the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="prove the hash chain or name the first broken row")

    serve = sub.add("serve", help="serve HTTPS and WSS until SIGTERM/SIGINT")
    serve.add_argument("--port", type=int, default=None)

    db = sub.add("db", help="the database schema: upgrade, current")
    db.add_argument("action", choices=["upgrade", "current"])

    key = sub.add("backup-key", help="make a new backup key file (keep it off this machine)")
    key.add_argument("file", type=Path)

    back = sub.add("backup", help="an encrypted, consistent copy of the hub (while it runs)")
    back.add_argument("--to", type=Path, required=True, help="folder for the backup files")
    back.add_argument("--key-file", type=Path, required=True, help="from vw-hub backup-key")
    back.add_argument("--keep", type=int, default=None, help="keep the newest N backups")

    restore = sub.add("restore", help="bring a backup back into a new folder")
    restore.add_argument("--from", dest="source", type=Path, required=True)
    restore.add_argument("--key-file", type=Path, required=True)
    restore.add_argument("--dir", type=Path, help="a new hub folder (else the packaged folders)")
    restore.add_argument("--config-dir", type=Path, help=f"default {PACKAGED.config_dir}")
    restore.add_argument("--state-dir", type=Path, help=f"default {PACKAGED.state_dir}")
    restore.add_argument("--log-dir", help=f"default {PACKAGED.log_dir}; 'journal': none")
    restore.add_argument("--owner", help="system user the service runs as (restore run as root)")
    restore.add_argument("--database-url", help="an empty PostgreSQL database (PostgreSQL backups)")
    return parser


def _layout(args: argparse.Namespace) -> Path | Layout:
    if args.dir is not None:
        if args.config_dir or args.state_dir or args.log_dir:
            raise ConfigError(
                "--dir holds everything: leave out --config-dir/--state-dir/--log-dir"
            )
        return Path(args.dir)
    logs: Path | None = PACKAGED.log_dir
    if args.log_dir == "journal":
        logs = None
    elif args.log_dir is not None:
        logs = Path(args.log_dir).resolve()
    return Layout(
        config_dir=(args.config_dir or PACKAGED.config_dir).resolve(),
        state_dir=(args.state_dir or PACKAGED.state_dir).resolve(),
        log_dir=logs,
    )


def _check_owner(owner: str | None) -> None:
    """Refuse an unknown `--owner` before anything is written."""
    if owner is not None:
        try:
            pwd.getpwnam(owner)
        except KeyError:
            raise ConfigError(f"--owner: no user named {owner!r}") from None


def _offline(args: argparse.Namespace) -> int | None:
    """The commands that need no hub.toml; None when `args` is another command."""
    if args.command == "init":
        _check_owner(args.owner)
        path = provision.init_dir(
            _layout(args), args.hostname, args.port, listen=args.listen, owner=args.owner
        )
        config = load_hub_config(path)
        print(f"hub ready: {path} (listening on {config.listen_host}:{config.listen_port})")
        print(f"clients trust: {config.tls_cert.parent / 'ca.pem'}")
        return 0
    if args.command == "backup-key":
        create_key_file(args.file)
        print(f"backup key written to {args.file}; keep a copy away from the hub")
        return 0
    if args.command == "restore":
        _check_owner(args.owner)
        path = restore(args.source, args.key_file, _layout(args), args.database_url)
        if args.owner is not None:
            provision.give_to(args.owner, load_hub_config(path))
        print(f"restored; start it with: vw-hub --config {path} serve")
        return 0
    return None


def _db(config: HubConfig, action: str) -> int:
    if action == "upgrade":
        asyncio.run(provision.migrate(config))
    current, head = asyncio.run(provision.current_revision(config))
    state = "up to date" if current == head else f"behind, the code's head is {head}"
    print(f"{current or 'empty (never migrated)'} ({state})")
    return 0 if current == head else 3


def _config(args: argparse.Namespace) -> HubConfig:
    if args.config is None:
        raise ConfigError("--config (or $VW_HUB_CONFIG) is required for this command")
    return load_hub_config(args.config)


def _read_password(args: argparse.Namespace) -> str:
    raw = args.password_file.read_text(encoding="utf-8") if args.password_file else sys.stdin.read()
    return raw.rstrip("\r\n")


def run(argv: list[str] | None = None) -> int:
    """Run one command; returns the process exit status."""
    tighten_umask()
    args = _parser().parse_args(argv)
    try:
        done = _offline(args)
        if done is not None:
            return done
        config = _config(args)
        if args.command == "db":
            return _db(config, args.action)
        if args.command == "backup":
            path = backup(config, args.to, args.key_file, args.keep)
            print(f"backup written: {path}")
            return 0
        if args.command == "add-user":
            lines = routing.parse_lines(args.lines)  # before anything is written
            password = _read_password(args)
            user_id = asyncio.run(
                provision.add_user(
                    config, args.username, args.display_name, Role(args.role), password
                )
            )
            if lines != [routing.ALL_LINES]:
                asyncio.run(routing.set_lines_offline(config.db_url, user_id, lines))
            print(f"user {args.username} added (id {user_id})")
            return 0
        if args.command == "enroll-code":
            code, expires = asyncio.run(
                provision.enroll_code(config, args.point, args.kiosk_name, args.ttl_hours)
            )
            print(code, flush=True)
            print(f"valid once, until {expires.astimezone().isoformat()}", file=sys.stderr)
            return 0
        if args.command == "audit":
            report = asyncio.run(provision.verify_audit(config))
            print(report.text())
            return 0 if report.ok else 1
        if args.command == "import-catalogue":
            return asyncio.run(import_catalogue_cli(config, args.file, args.dry_run))
        setup_logging("hub", config.log_dir, config.log_level, config.log_format)
        if config.log_dir is not None:
            add_security_log(
                "hub", config.log_dir, config.security_log_days, SECURITY_LOGGERS, config.log_format
            )
        security_log.install()
        keep_large_buffers()  # every uploaded page is decoded and re-encoded here
        asyncio.run(serve(config, args.port))
        return 0
    except (ConfigError, HubError, OSError, BackupError, SealError) as exc:
        print(f"vw-hub: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
        logging.getLogger("hub").error("%s failed: %s", args.command, type(exc).__name__)
        return 2 if isinstance(exc, ConfigError) else 1


def main() -> None:
    """Entry point of `vw-hub`."""
    sys.exit(run())


if __name__ == "__main__":
    main()
