"""Health reports: the technician's device checks, as a kiosk sends them to the hub.

One `CheckResult` per part (`part` names it: "screens", "face_camera",
"doccam", "idcard", "printer", "audio.mic", "audio.speaker", "hub", "turn",
"disk", "outbox", "version"). The hub keeps the latest report per kiosk, opens a
work order when a part fails, and shows the officer the kiosk's device state.

Hub: `backoffice_console/hub/fleet/routes.py` (`health_report`, `session_kiosk_health`,
`kiosk_health_history`; the replies are built in fleet/care.py).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, RootModel

from shared.protocol.base import Model, ShortText

PartName = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_.]+$")]


class CheckStatus(StrEnum):
    """Outcome of one check."""

    OK = "ok"
    WARNING = "warning"
    FAILED = "failed"
    ABSENT = "not_present"


class CheckResult(Model):
    """One part's check: its status, a measured value and a message a technician understands."""

    part: PartName
    status: CheckStatus
    value: Annotated[str, Field(max_length=200)] | None = None
    message: ShortText = ""


class HealthReport(Model):
    """Every check of one run on one kiosk (`POST /api/v1/fleet/health`, kiosk token)."""

    at: datetime
    software_version: Annotated[str, Field(max_length=64)]
    checks: list[CheckResult] = Field(min_length=1, max_length=64)

    def failed_parts(self) -> set[str]:
        """Parts whose check failed."""
        return {c.part for c in self.checks if c.status is CheckStatus.FAILED}


class HealthReceipt(Model):
    """Reply to `POST /api/v1/fleet/health`: the stored report and the work orders it opened."""

    report_id: int
    failed: list[str]
    work_orders_opened: list[int]


class LatestHealth(Model):
    """`GET /api/v1/sessions/{sid}/kiosk-health`: the newest report of the session's kiosk."""

    kiosk_id: int
    received_at: datetime | None
    report: HealthReport | None
    """None: the kiosk never sent one."""


class StoredHealthReport(Model):
    """One report of a kiosk's history."""

    id: int
    received_at: datetime
    failed: list[str]
    report: HealthReport


class StoredHealthReportList(RootModel[list[StoredHealthReport]]):
    """`GET /api/v1/fleet/kiosks/{id}/health?limit=20`: newest first."""
