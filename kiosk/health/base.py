"""The pieces every check shares: the `Check` record, results with translated messages, the runner.

A check is an async callable returning one `CheckResult`. `run_checks` runs them all
at once, each inside its own time limit: a check that hangs becomes a failed result
saying so, and one that raises becomes a failed result with the error; neither stops
the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.i18n import tr
from shared.protocol.health import CheckResult, CheckStatus, HealthReport
from shared.version import package_version

log = logging.getLogger(__name__)

DOMAIN = "health"

PARTS = (
    "screens",
    "face_camera",
    "doccam",
    "idcard",
    "printer",
    "audio.mic",
    "audio.speaker",
    "hub",
    "turn",
    "disk",
    "outbox",
    "print_queue",
    "version",
)
"""Every part the kiosk checks, in the order a technician reads them."""


@dataclass(frozen=True)
class Check:
    """One part's check: `run()` returns its result; `timeout` overrides the runner's limit."""

    part: str
    run: Callable[[], Awaitable[CheckResult]]
    timeout: float | None = None


def result(
    part: str, status: CheckStatus, key: str, value: str | None = None, **fmt: object
) -> CheckResult:
    """A result whose message is `health.<key>` in the current language (formatted with fmt)."""
    message = tr(DOMAIN, key, **fmt)
    return CheckResult(
        part=part,
        status=status,
        value=None if value is None else value[:200],
        message=message[:200],
    )


async def _run_one(check: Check, timeout: float) -> CheckResult:
    limit = check.timeout or timeout
    try:
        async with asyncio.timeout(limit):
            outcome = await check.run()
    except TimeoutError:
        return result(check.part, CheckStatus.FAILED, "timeout", f"> {limit:g} s", seconds=limit)
    except Exception as exc:
        # A bug or an unexpected device error in one check must not hide the others.
        log.exception("health check %s failed", check.part)
        return result(
            check.part, CheckStatus.FAILED, "error", type(exc).__name__, error=str(exc)[:120]
        )
    if outcome.part != check.part:
        outcome = outcome.model_copy(update={"part": check.part})
    return outcome


async def run_checks(checks: Sequence[Check], timeout: float) -> list[CheckResult]:
    """Run every check concurrently, each bounded by its timeout; results in `checks` order."""
    return list(await asyncio.gather(*(_run_one(c, timeout) for c in checks)))


def make_report(results: Iterable[CheckResult], version: str | None = None) -> HealthReport:
    """The report the hub receives for one run of the checks."""
    return HealthReport(
        at=datetime.now(UTC),
        software_version=(version or package_version())[:64],
        checks=list(results),
    )


def worst(results: Iterable[CheckResult]) -> CheckStatus:
    """The overall status: failed over warning over ok (absent parts do not count)."""
    statuses = {r.status for r in results}
    for status in (CheckStatus.FAILED, CheckStatus.WARNING):
        if status in statuses:
            return status
    return CheckStatus.OK
