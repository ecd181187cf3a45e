"""Settings of the technician's checks (`[health]`) and the maintenance page (`[maintenance]`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shared.config import Section

Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")]


class HealthSection(Section):
    """`[health]`: how often the kiosk checks itself, each check's time limit, the thresholds.

    `turn_url` (`turn:host:port`, with `turn_username`/`turn_password`) names the TURN
    server whose allocation is checked; without it the TURN check says "not present".
    `doccam_baseline` is the document camera's calibrated sharpness (see
    shared.imaging.SharpnessTracker); without it only the absolute floor applies.
    """

    interval_s: float = Field(default=300.0, ge=5.0, le=86_400.0)
    timeout_s: float = Field(default=8.0, gt=0.0, le=120.0)
    disk_warn_mb: int = Field(default=2048, ge=0)
    disk_fail_mb: int = Field(default=500, ge=0)
    backlog_warn: int = Field(default=20, ge=1)
    skew_warn_s: float = Field(default=5.0, gt=0.0)
    skew_fail_s: float = Field(default=120.0, gt=0.0)
    latency_warn_ms: float = Field(default=500.0, gt=0.0)
    tls_warn_days: int = Field(default=21, ge=0)
    turn_url: str | None = Field(default=None, pattern=r"^turns?:[^\s]+$")
    turn_username: str = ""
    turn_password: str = ""
    doccam_baseline: float | None = Field(default=None, gt=0.0)


class MaintenanceSection(Section):
    """`[maintenance]`: the technician PIN as a sha256 hex digest or an argon2 hash.

    Without either, the maintenance page cannot be opened at all (no default PIN).
    """

    pin_sha256: Sha256Hex | None = None
    pin_argon2: str | None = Field(default=None, pattern=r"^\$argon2")
