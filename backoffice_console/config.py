"""The console's deployment settings: one TOML file plus `VW_CONSOLE__SECTION__KEY` overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.config import load_config
from shared.media import VideoSourceConfig

ENV_PREFIX = "VW_CONSOLE"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HubSection(_Section):
    """Where the hub is and which CA signs its certificate (None: the system CAs)."""

    url: str = "https://127.0.0.1:8443"
    ca_file: Path | None = None


class ConsoleSection(_Section):
    """Process settings; `log_dir` None logs to stderr only."""

    log_dir: Path | None = None


class RtcSection(_Section):
    """`loopback`: keep ICE on 127.0.0.1 (tests and the one-machine demo)."""

    loopback: bool = False


class UiSection(_Section):
    """UI language ("zh_CN" default, "en"); a ticket waiting `overdue_after_s` is highlighted."""

    language: Literal["zh_CN", "en"] = "zh_CN"
    overdue_after_s: int = Field(default=300, ge=1)


class ConsoleConfig(_Section):
    """Everything that deploys a console; relative paths are taken from `config_dir`."""

    config_dir: Path = Path(".")
    hub: HubSection = HubSection()
    console: ConsoleSection = ConsoleSection()
    camera: VideoSourceConfig = VideoSourceConfig(label="Officer")
    rtc: RtcSection = RtcSection()
    ui: UiSection = UiSection()

    def resolve(self, path: Path | None) -> Path | None:
        """`path` made absolute against the configuration folder (None stays None)."""
        if path is None:
            return None
        return path if path.is_absolute() else (self.config_dir / path).resolve()

    @property
    def ca_file(self) -> Path | None:
        """The hub's CA certificate, resolved."""
        return self.resolve(self.hub.ca_file)

    @property
    def log_dir(self) -> Path | None:
        """The log folder, resolved."""
        return self.resolve(self.console.log_dir)


def load_console_config(path: Path | None, environ: dict[str, str] | None = None) -> ConsoleConfig:
    """Read the console's TOML file (optional) and environment overrides; raises ConfigError."""
    return load_config(ConsoleConfig, path, ENV_PREFIX, environ)
