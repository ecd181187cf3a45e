"""The systemd notification protocol (sd_notify), spoken without libsystemd.

A service with `Type=notify` tells systemd it is ready (`READY=1`), that it is
stopping (`STOPPING=1`) and what it is doing (`STATUS=…`); with `WatchdogSec=`
it must also send `WATCHDOG=1` more often than the interval systemd passes in
`WATCHDOG_USEC`, or systemd kills and restarts it. The messages are datagrams
on the unix socket named by `NOTIFY_SOCKET` (an abstract socket when the name
starts with `@`). Outside systemd the variable is unset and every call here
does nothing, so the apps call it unconditionally.

The watchdog is fed from the loop whose health it vouches for (the asyncio
loop of the hub, the Qt event loop of the kiosk), never from a thread of its
own: a thread would keep feeding a frozen program.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


class Notifier:
    """Sends sd_notify messages to the socket in `NOTIFY_SOCKET`, if any."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self._address = _socket_address(env.get("NOTIFY_SOCKET", ""))
        self._watchdog_s = _watchdog_seconds(env)

    @property
    def enabled(self) -> bool:
        """True when a service manager listens."""
        return self._address is not None

    @property
    def watchdog_interval_s(self) -> float | None:
        """How often to send WATCHDOG=1 (half systemd's timeout), or None without a watchdog."""
        return None if self._watchdog_s is None else self._watchdog_s / 2

    def ready(self, status: str = "") -> bool:
        """Tells systemd start-up is complete."""
        return self.send("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def stopping(self) -> bool:
        """Tells systemd the process is shutting down on purpose."""
        return self.send("STOPPING=1")

    def status(self, text: str) -> bool:
        """Sets the one-line status `systemctl status` shows."""
        return self.send(f"STATUS={text}")

    def watchdog(self) -> bool:
        """Feeds the watchdog: 'the loop is alive'."""
        return self.send("WATCHDOG=1")

    def send(self, message: str) -> bool:
        """Sends one datagram; False when nobody listens or the send fails (never raises)."""
        if self._address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message.encode("utf-8"), self._address)
        except OSError as exc:
            log.warning("sd_notify %s failed: %s", message.split("=", 1)[0], exc)
            return False
        return True


def _socket_address(name: str) -> str | bytes | None:
    if not name:
        return None
    if name.startswith("@"):
        return b"\0" + name[1:].encode("utf-8")
    return name


def _watchdog_seconds(env: os._Environ[str] | dict[str, str]) -> float | None:
    usec = env.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    pid = env.get("WATCHDOG_PID", "")
    if pid.isdigit() and int(pid) != os.getpid():
        return None  # meant for another process of the unit
    return int(usec) / 1_000_000
