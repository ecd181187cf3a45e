"""The kiosk's own health monitor: checks at start and periodically, reports to the hub,
and tells the catalogue offer which devices are unavailable.

The monitor is Qt-free. `unavailable_devices()` is what the start page passes to
`Catalogue.offered(...)`: a matter that needs a failed or absent ID card reader, document
camera or printer is not offered. Runs are skipped while `busy()` says the kiosk is in a
call (a check must not grab a device the resident is using); a run asked for by the
technician always runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from kiosk.health.base import make_report
from kiosk.health.cli import send_report
from kiosk.health.suite import HealthSuite, KioskParts
from kiosk.health.system import ScreenProvider
from shared.catalogue.model import DeviceKind
from shared.hubclient import HubError
from shared.protocol.health import CheckResult, CheckStatus, HealthReport
from shared.tasks import TaskKeeper

log = logging.getLogger(__name__)

DEVICE_PARTS: dict[str, DeviceKind] = {"idcard": "idcard", "doccam": "doccam", "printer": "printer"}
"""Check part -> catalogue device kind, for the parts that decide the offer."""

Sender = Callable[[HealthReport], Awaitable[None]]
RESEND_S = 15.0


def unavailable_from(checks: Iterable[CheckResult]) -> frozenset[DeviceKind]:
    """Device kinds whose check failed or found nothing (`Catalogue.offered` takes it)."""
    bad = (CheckStatus.FAILED, CheckStatus.ABSENT)
    return frozenset(
        DEVICE_PARTS[c.part] for c in checks if c.part in DEVICE_PARTS and c.status in bad
    )


class HealthMonitor:
    """Runs the suite now and every `interval` seconds (see module docstring).

    `latest` is the newest result per part (a partial run, `--only` style, updates only
    its parts); `on_change()` is called after every run. `parts` limits the periodic
    runs (None: every part); a report the hub missed is sent again every `resend_s`.
    """

    def __init__(
        self,
        suite: HealthSuite,
        send: Sender | None = None,
        *,
        interval: float | None = None,
        busy: Callable[[], bool] | None = None,
        on_change: Callable[[], None] | None = None,
        resend_s: float = RESEND_S,
        parts: Iterable[str] | None = None,
    ) -> None:
        self.suite = suite
        self._send = send
        self.interval = interval if interval is not None else suite.config.health.interval_s
        self._busy = busy or (lambda: False)
        self._on_change = on_change
        self._resend_s = resend_s
        self._parts = None if parts is None else list(parts)  # the periodic run's parts
        self._tasks = TaskKeeper("health")
        self._lock = asyncio.Lock()  # one run at a time: two runs would fight over devices
        self.results: dict[str, CheckResult] = {}
        self.latest: HealthReport | None = None
        self.sent = 0
        self.send_error: str | None = None

    def unavailable_devices(self) -> frozenset[DeviceKind]:
        """Failed or absent idcard/doccam/printer (empty before the first run)."""
        return unavailable_from(self.results.values())

    async def run_once(
        self, only: Iterable[str] | None = None, test_page: bool = False, send: bool = True
    ) -> HealthReport:
        """Run the checks (all, or `only` these parts), keep the results, send the report."""
        async with self._lock:
            fresh = await self.suite.results(only, test_page)
            for check in fresh:
                self.results[check.part] = check
            order = {part: i for i, part in enumerate(self.results)}
            report = make_report(sorted(self.results.values(), key=lambda c: order[c.part]))
            self.latest = report
        if self._on_change is not None:
            self._on_change()
        if send:
            await self.send(report)
        return report

    async def send(self, report: HealthReport | None = None) -> bool:
        """Send `report` (default: the latest) to the hub; False (and `send_error`) on failure."""
        report = report or self.latest
        if report is None or self._send is None:
            return False
        try:
            await self._send(report)
        except HubError as exc:
            self.send_error = str(exc)
            log.warning("health report not sent: %s", exc)
            return False
        self.sent += 1
        self.send_error = None
        return True

    def start(self) -> None:
        """Start the periodic runs (the first one now)."""
        self._tasks.start(self._loop(), "health-loop")

    async def _loop(self) -> None:
        while True:
            if not self._busy():
                try:
                    await self.run_once(self._parts)
                except Exception:
                    log.exception("health run failed")
            # A report the hub missed (the kiosk starts before it has logged in) is sent
            # again every RESEND_S until it arrives, without running the checks again.
            waited = 0.0
            while waited < self.interval:
                step = min(self._resend_s, self.interval - waited)
                await asyncio.sleep(step)
                waited += step
                if self.send_error is not None:
                    await self.send()

    async def close(self) -> None:
        """Stop the periodic runs."""
        await self._tasks.cancel_all()


def monitor_for_kiosk(
    controller: Any,
    config: Any,
    hub: Any,
    audio: Any = None,
    screens: ScreenProvider | None = None,
) -> HealthMonitor:
    """A monitor over the running kiosk's own devices (`controller`: a KioskController).

    Reports go over `hub` (the kiosk's logged-in HubClient); runs wait while in a call.
    `screens` lists the screens of the running Qt app (default: a child process asks Qt).
    """

    def card_reader() -> Any:
        return controller.idcard.reader

    capture = controller.capture
    parts = KioskParts(
        video=controller.video,
        doccam=(lambda: capture.camera) if capture is not None else None,
        card_reader=card_reader,
        printer=lambda: controller.printing.queue().printer,
        print_backlog=lambda: len(controller.printing.queue().open_keys()),
        outbox=capture.outbox if capture is not None else None,
        mic=getattr(audio, "source", None),
        speaker=getattr(audio, "sink", None),
        screens=screens,
    )

    async def send(report: HealthReport) -> None:
        await send_report(hub, report)

    return HealthMonitor(
        HealthSuite(config, parts),
        send,
        busy=lambda: str(controller.state) == "in_call",
    )
