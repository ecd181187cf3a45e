"""The console's deployment settings: one TOML file plus `VW_CONSOLE__SECTION__KEY` overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from shared.config import ClientConfig, Section, load_config
from shared.media import VideoSourceConfig

ENV_PREFIX = "VW_CONSOLE"


class ConsoleSection(Section):
    """Process settings; `log_dir` None logs to stderr only."""

    log_dir: Path | None = None


class UiSection(Section):
    """UI language ("zh_CN" default, "en"); a ticket waiting `overdue_after_s` is highlighted."""

    language: Literal["zh_CN", "en"] = "zh_CN"
    overdue_after_s: int = Field(default=300, ge=1)


class ConsoleConfig(ClientConfig):
    """Everything that deploys a console; relative paths are taken from `config_dir`."""

    console: ConsoleSection = ConsoleSection()
    camera: VideoSourceConfig = VideoSourceConfig(label="工作人员")
    ui: UiSection = UiSection()

    @property
    def log_dir(self) -> Path | None:
        """The log folder, resolved."""
        return self.resolve_optional(self.console.log_dir)


def load_console_config(path: Path | None, environ: dict[str, str] | None = None) -> ConsoleConfig:
    """Read the console's TOML file (optional) and environment overrides; raises ConfigError."""
    return load_config(ConsoleConfig, path, ENV_PREFIX, environ)
