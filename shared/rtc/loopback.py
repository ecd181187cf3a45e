"""Loopback mode: keep every ICE host candidate on one loopback address.

aioice gathers host candidates from the machine's interfaces and skips exactly
127.0.0.1 and ::1, so two peers on one machine would otherwise talk over the LAN
address. Tests, benchmarks and the one-machine demo must stay on loopback.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable

import aioice.ice

log = logging.getLogger(__name__)

_original: Callable[..., list[str]] | None = None
_address: str | None = None


def _loopback_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    if _address is None:  # pragma: no cover - only installed together with an address
        return []
    version = ipaddress.ip_address(_address).version
    if (version == 4 and use_ipv4) or (version == 6 and use_ipv6):
        return [_address]
    return []


def enable_loopback_mode(address: str = "127.0.0.1") -> None:
    """Process-wide: gather ICE host candidates only on `address` (a loopback address).

    Idempotent; calling it again with another address switches to that address.
    Raises ValueError for an address outside 127.0.0.0/8 and ::1.
    """
    global _original, _address  # noqa: PLW0603 - a process-wide switch by design
    if not ipaddress.ip_address(address).is_loopback:
        raise ValueError(f"not a loopback address: {address}")
    _address = address
    if _original is None:
        _original = aioice.ice.get_host_addresses
        aioice.ice.get_host_addresses = _loopback_host_addresses
        log.info("ICE loopback mode on %s", address)


def disable_loopback_mode() -> None:
    """Restore aioice's own host address discovery (for tests that switch modes)."""
    global _original, _address  # noqa: PLW0603
    if _original is not None:
        aioice.ice.get_host_addresses = _original
    _original = None
    _address = None


def loopback_address() -> str | None:
    """The loopback address in use, or None when loopback mode is off."""
    return _address
