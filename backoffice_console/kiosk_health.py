"""The officer's view of the kiosk's devices during a call, without Qt.

`fetch_kiosk_health(hub, session_id)` reads `GET /api/v1/sessions/{sid}/kiosk-health`
(the latest report of the session's kiosk) into a `KioskHealthView`: the device parts
the officer cares about (card reader, document camera, printer, camera, sound) with
their status and message. A hub that refuses or cannot be reached gives a view with
`error` set instead of raising, so the call view only ever shows a state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from shared.hubclient import HubError
from shared.protocol.health import CheckResult, CheckStatus, LatestHealth

OFFICER_PARTS = ("idcard", "doccam", "printer", "face_camera", "audio.mic", "audio.speaker")
"""The parts shown in the call, in this order: what the officer asks the resident to use."""


class HubReader(Protocol):
    """The part of the hub client used here."""

    async def get_json(self, path: str, **params: str) -> Any: ...


@dataclass(frozen=True)
class KioskHealthView:
    """What the strip shows: the parts' results, when the report came, or why there is none."""

    checks: list[CheckResult] = field(default_factory=list)
    received_at: datetime | None = None
    error: str | None = None

    @property
    def worst(self) -> CheckStatus | None:
        """Failed over warning over ok; None with nothing to show."""
        statuses = {c.status for c in self.checks}
        for status in (CheckStatus.FAILED, CheckStatus.WARNING, CheckStatus.OK):
            if status in statuses:
                return status
        return None


def view_from_payload(payload: Any) -> KioskHealthView:
    """The view of the endpoint's JSON (`shared.protocol.health.LatestHealth`)."""
    try:
        latest = LatestHealth.model_validate(payload)
    except ValidationError:
        return KioskHealthView(error="malformed")
    if latest.report is None:
        return KioskHealthView()
    by_part = {c.part: c for c in latest.report.checks}
    return KioskHealthView(
        checks=[by_part[p] for p in OFFICER_PARTS if p in by_part], received_at=latest.received_at
    )


async def fetch_kiosk_health(hub: HubReader, session_id: str) -> KioskHealthView:
    """The latest device state of the kiosk in `session_id` (never raises for hub errors)."""
    try:
        payload = await hub.get_json(f"/api/v1/sessions/{session_id}/kiosk-health")
    except HubError as exc:
        return KioskHealthView(error=str(exc)[:200] or "unreachable")
    return view_from_payload(payload)
