"""`vw-hub`: the hub's command line (init, add-user, enroll-code, audit verify, serve)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from backoffice_console.hub import provision, routing
from backoffice_console.hub.catalogue import import_catalogue_cli
from backoffice_console.hub.core.config import HubConfig, load_hub_config
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.server import serve
from shared.config import ConfigError
from shared.logs import setup_logging
from shared.memory import keep_large_buffers
from shared.protocol import Role


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vw-hub", description="Remote Virtual Window hub")
    parser.add_argument(
        "--config",
        type=Path,
        default=os.environ.get("VW_HUB_CONFIG"),
        help="hub.toml (default: $VW_HUB_CONFIG)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", help="create a hub folder (config, TLS, database)")
    init.add_argument("--dir", type=Path, required=True)
    init.add_argument("--hostname", action="append", default=[], help="extra certificate name")
    init.add_argument("--port", type=int, default=8443)

    user = sub.add_parser("add-user", help="add an officer, technician or admin")
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

    code = sub.add_parser("enroll-code", help="make a one-time kiosk enrolment code")
    code.add_argument("--point", required=True, help="service point name (created if missing)")
    code.add_argument("--kiosk-name", required=True)
    code.add_argument("--ttl-hours", type=float, default=24.0)

    catalogue = sub.add_parser("import-catalogue", help="import a matter catalogue file")
    catalogue.add_argument("file", type=Path, help="JSON, or CSV (by the .csv suffix)")
    catalogue.add_argument("--dry-run", action="store_true", help="show the diff, change nothing")

    audit = sub.add_parser("audit", help="the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="prove the hash chain or name the first broken row")

    serve = sub.add_parser("serve", help="serve HTTPS and WSS until SIGTERM/SIGINT")
    serve.add_argument("--port", type=int, default=None)
    return parser


def _config(args: argparse.Namespace) -> HubConfig:
    if args.config is None:
        raise ConfigError("--config (or $VW_HUB_CONFIG) is required for this command")
    return load_hub_config(args.config)


def _read_password(args: argparse.Namespace) -> str:
    raw = args.password_file.read_text(encoding="utf-8") if args.password_file else sys.stdin.read()
    return raw.rstrip("\r\n")


def run(argv: list[str] | None = None) -> int:
    """Run one command; returns the process exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "init":
            path = provision.init_dir(args.dir, args.hostname, args.port)
            print(f"hub folder ready: {path}")
            print(f"clients trust: {path.parent / 'tls' / 'ca.pem'}")
            return 0
        config = _config(args)
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
        setup_logging("hub", config.log_dir, config.log_level)
        keep_large_buffers()  # every uploaded page is decoded and re-encoded here
        asyncio.run(serve(config, args.port))
        return 0
    except (ConfigError, HubError, OSError) as exc:
        print(f"vw-hub: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
        logging.getLogger("hub").error("%s failed: %s", args.command, type(exc).__name__)
        return 2 if isinstance(exc, ConfigError) else 1


def main() -> None:
    """Entry point of `vw-hub`."""
    sys.exit(run())


if __name__ == "__main__":
    main()
