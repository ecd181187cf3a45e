"""Typed configuration files with environment overrides.

Each process declares its settings as a pydantic model and loads them with
`load_config`: a TOML file gives the values, and environment variables named
`<PREFIX>__<SECTION>__<KEY>` (any case) override single values. An override's
value is read as JSON when it parses as JSON (numbers, booleans, lists), and as
a plain string otherwise. QSettings keeps only UI state, never these.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

ModelT = TypeVar("ModelT", bound=BaseModel)


class Section(BaseModel):
    """A configuration section: unknown keys are errors, so a typo never goes unnoticed."""

    model_config = ConfigDict(extra="forbid")


class HubSection(Section):
    """Where the hub is and which CA signs its certificate (None: the system CAs)."""

    url: str = "https://127.0.0.1:8443"
    ca_file: Path | None = None


class RtcSection(Section):
    """`loopback`: keep ICE on 127.0.0.1 (tests and the one-machine demo)."""

    loopback: bool = False


class AudioSourceConfig(Section):
    """`[audio] input`: the microphone; no audio unless one is configured.

    `kind="alsa"` captures from the ALSA device `device` (e.g. `default` or `hw:1,0`)
    through PyAV; `kind="silence"` sends silence and `kind="tone"` a sine of `frequency`
    Hz (demos and tests without a sound card). Defined here rather than in shared.media so
    that reading a config file (the hub does too) does not load the media stack.
    """

    kind: Literal["none", "alsa", "silence", "tone"] = "none"
    device: str | None = None
    sample_rate: int = Field(default=48_000, ge=8_000, le=48_000)
    channels: int = Field(default=1, ge=1, le=2)
    frequency: float = Field(default=440.0, ge=20.0, le=20_000.0)
    amplitude: float = Field(default=0.3, gt=0.0, le=1.0)


class AudioSinkConfig(Section):
    """`[audio] output`: where the other side's voice goes; nothing plays unless configured.

    `kind="alsa"` plays on the ALSA device `device` (`default` when unset); `kind="wav"`
    records to the WAV file `path` (tests, and an audible record of the demo). Audio
    queued longer than `max_latency_ms` is dropped, oldest first, so the voice stays live.
    """

    kind: Literal["none", "alsa", "wav"] = "none"
    device: str | None = None
    path: Path | None = None
    sample_rate: int = Field(default=48_000, ge=8_000, le=48_000)
    channels: int = Field(default=1, ge=1, le=2)
    max_latency_ms: int = Field(default=200, ge=20, le=2_000)

    @model_validator(mode="after")
    def _wav_needs_path(self) -> AudioSinkConfig:
        if self.kind == "wav" and self.path is None:
            raise ValueError("a wav audio output needs a path")
        return self


class AudioSection(Section):
    """`[audio]`: microphone (`input`) and loudspeaker (`output`), both off by default."""

    input: AudioSourceConfig = AudioSourceConfig()
    output: AudioSinkConfig = AudioSinkConfig()


class ClientConfig(Section):
    """What every client of the hub (kiosk, console) configures the same way.

    Relative paths in the file are taken from `config_dir`, the file's folder.
    """

    config_dir: Path = Path(".")
    hub: HubSection = HubSection()
    rtc: RtcSection = RtcSection()
    audio: AudioSection = AudioSection()

    def resolve(self, path: Path) -> Path:
        """`path` made absolute against the configuration folder."""
        return path if path.is_absolute() else (self.config_dir / path).resolve()

    def resolve_optional(self, path: Path | None) -> Path | None:
        """Like `resolve`, with None staying None."""
        return None if path is None else self.resolve(path)

    @property
    def ca_file(self) -> Path | None:
        """The hub's CA certificate, resolved."""
        return self.resolve_optional(self.hub.ca_file)

    @property
    def audio_output(self) -> AudioSinkConfig:
        """The `[audio] output` settings with the WAV path resolved."""
        out = self.audio.output
        return out.model_copy(update={"path": self.resolve_optional(out.path)})


class ConfigError(Exception):
    """A configuration file or override that cannot be used; the message says which."""


def _override_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _apply_env(data: dict[str, Any], prefix: str, environ: dict[str, str]) -> None:
    marker = prefix.upper() + "__"
    for name, raw in environ.items():
        if not name.upper().startswith(marker):
            continue
        path = [part.lower() for part in name[len(marker) :].split("__") if part]
        if not path:
            continue
        node = data
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"{name}: {part} is not a section")
            node = child
        node[path[-1]] = _override_value(raw)


def load_config(
    model: type[ModelT],
    path: Path | None,
    env_prefix: str,
    environ: dict[str, str] | None = None,
) -> ModelT:
    """Read `path` (optional) and the environment into a validated `model`.

    Relative paths inside the file are the model's business; `config_dir` is
    passed to models that declare it so they can resolve them.
    """
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"configuration file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    _apply_env(data, env_prefix, dict(os.environ) if environ is None else environ)
    if "config_dir" in model.model_fields and path is not None:
        data.setdefault("config_dir", str(path.parent.resolve()))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        where = path if path is not None else "environment"
        raise ConfigError(f"{where}: {problems}") from None
