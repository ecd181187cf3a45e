"""The kiosk's deployment settings: one TOML file plus `VW_KIOSK__SECTION__KEY` overrides.

Example::

    [hub]
    url = "https://127.0.0.1:8443"
    ca_file = "hub-ca.pem"
    [kiosk]
    name = "kiosk-1"
    credential_file = "credential.json"
    [screens]
    face = "HDMI-1"
    touch = "DSI-1"
    [camera]
    kind = "synthetic"
    label = "居民"
    [ui]
    language = "zh_CN"
    [idcard]
    backend = "sam-serial"   # or "pcsc", "manual", "simulated" (demo only)
    port = "/dev/ttyUSB0"
    [doccam]
    backend = "v4l2"         # or "file", "images", "simulated" (demo only)
    path = "/dev/v4l/by-id/usb-...-video-index0"

Without an `[idcard]` section the kiosk uses manual entry (staff type the number):
a safe default that needs no hardware and never invents residents. The demo
stack writes `backend = "simulated"`.

The document camera (`[doccam]`, see `DocumentCameraConfig`) defaults to a V4L2 device
with no path: a real kiosk must name its camera's node, and until it does the capture
page says 高拍仪不可用 instead of opening the wrong camera or inventing pages. The demo
stack writes `backend = "simulated"`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from kiosk.devices.doccam import DocumentCameraConfig
from kiosk.devices.idcard import IdCardReaderConfig
from kiosk.health.config import HealthSection, MaintenanceSection
from kiosk.printing import PrinterSection
from kiosk.rating import PointSection
from shared.config import ClientConfig, Section, load_config
from shared.media.config import VideoSourceConfig

ENV_PREFIX = "VW_KIOSK"


class KioskSection(Section):
    """This machine: its name (for enrolment), credential and folders."""

    name: str = Field(default="kiosk", min_length=1, max_length=100)
    credential_file: Path = Path("credential.json")
    state_dir: Path = Path("state")
    log_dir: Path | None = None
    ended_home_seconds: float = Field(default=5.0, ge=0.0, le=120.0)


class ScreensSection(Section):
    """Qt screen names of the two displays; a missing one falls back to another screen."""

    face: str = "face"
    touch: str = "touch"


class UiSection(Section):
    """UI language ("zh_CN" default, "en") and theme (see shared.ui.theme.THEMES)."""

    language: Literal["zh_CN", "en"] = "zh_CN"
    theme: str = "default"


class KioskConfig(ClientConfig):
    """Everything that deploys a kiosk; relative paths are taken from `config_dir`."""

    kiosk: KioskSection = KioskSection()
    screens: ScreensSection = ScreensSection()
    camera: VideoSourceConfig = VideoSourceConfig(label="居民")
    ui: UiSection = UiSection()
    idcard: IdCardReaderConfig = IdCardReaderConfig(backend="manual")
    printer: PrinterSection = PrinterSection()
    doccam: DocumentCameraConfig = DocumentCameraConfig(backend="v4l2")
    health: HealthSection = HealthSection()
    maintenance: MaintenanceSection = MaintenanceSection()
    point: PointSection = PointSection()

    @property
    def credential_file(self) -> Path:
        """Where the device credential is kept, resolved."""
        return self.resolve(self.kiosk.credential_file)

    @property
    def state_dir(self) -> Path:
        """The kiosk's state folder, resolved."""
        return self.resolve(self.kiosk.state_dir)

    @property
    def log_dir(self) -> Path | None:
        """The log folder, resolved (None: stderr only)."""
        return self.resolve_optional(self.kiosk.log_dir)


def load_kiosk_config(path: Path | None, environ: dict[str, str] | None = None) -> KioskConfig:
    """Read the kiosk's TOML file (optional) and environment overrides; raises ConfigError."""
    return load_config(KioskConfig, path, ENV_PREFIX, environ)
