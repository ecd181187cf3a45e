"""`python -m kiosk.devices idcard read|status`: use an ID card reader without the kiosk app.

`read` waits for one card and prints it as JSON with the ID number masked (no photo,
no address); `status` prints the reader's health. Exit status: 0 ok, 1 reader error,
2 the card's data is invalid.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from kiosk.devices.idcard import IdCardReaderConfig, InvalidCardData, ReaderError, open_card_reader

BACKENDS = ("sam-serial", "pcsc", "manual", "simulated")


def register(subparsers: Any) -> None:
    """Add the `idcard` subcommand to `python -m kiosk.devices`."""
    parser = subparsers.add_parser("idcard", help="ID card reader: read a card, show status")
    actions = parser.add_subparsers(dest="action", required=True)
    for name, func, help_text in (
        ("read", _read, "wait for one card and print it (ID number masked)"),
        ("status", _status, "print the reader's status"),
    ):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("--backend", choices=BACKENDS, default="simulated")
        action.add_argument("--port", help="serial port of a SAM reader (sam-serial)")
        action.add_argument("--reader", help="part of the PC/SC reader name (pcsc)")
        action.add_argument("--baudrate", type=int, default=115_200)
        action.add_argument("--timeout", type=float, default=30.0, help="seconds to wait")
        action.add_argument(
            "--present", type=int, help="simulated: lay this resident's card on the reader"
        )
        action.set_defaults(func=func)


def _config(args: argparse.Namespace) -> IdCardReaderConfig:
    return IdCardReaderConfig(
        backend=args.backend, port=args.port, reader=args.reader, baudrate=args.baudrate
    )


def _print(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, ensure_ascii=False, indent=2))


async def _read(args: argparse.Namespace) -> int:
    reader = open_card_reader(_config(args))
    try:
        await reader.open()
        if args.present is not None:
            present = getattr(reader, "present", None)
            if present is None:
                print("--present works only with --backend simulated", file=sys.stderr)
                return 1
            present(args.present)
        record = await reader.wait_for_card(args.timeout)
        _print(record.masked())
        return 0
    except InvalidCardData as exc:
        _print({"error": exc.code, "field": exc.error.field, "message": str(exc)})
        return 2
    except ReaderError as exc:
        _print({"error": exc.code, "message": str(exc)})
        return 1
    finally:
        await reader.close()


async def _status(args: argparse.Namespace) -> int:
    reader = open_card_reader(_config(args))
    try:
        await reader.open()
        status = await reader.status()
    except ReaderError as exc:
        _print({"connected": False, "error": exc.code, "message": str(exc)})
        return 1
    finally:
        await reader.close()
    _print(asdict(status))
    return 0 if status.connected else 1
