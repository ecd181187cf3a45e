"""The hub's settings: one TOML file (`hub.toml`) with `VW_HUB__...` environment overrides."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.config import load_config
from shared.protocol import IceServer

ENV_PREFIX = "VW_HUB"
ALL_ADDRESSES = "*"
"""`listen_host` for every address of the machine, IPv4 and IPv6."""


@dataclass(frozen=True)
class Layout:
    """Where `vw-hub init` puts hub.toml, the state and the logs (None: journald only)."""

    config_dir: Path
    state_dir: Path
    log_dir: Path | None

    @classmethod
    def single(cls, directory: Path) -> Layout:
        """Everything in one folder, logs in its `log` (a developer's hub, the demo, tests)."""
        directory = directory.resolve()
        return cls(directory, directory, directory / "log")

    def state_for_config(self) -> Path | None:
        """`state_dir` as hub.toml names it (None: beside hub.toml)."""
        return None if self.state_dir == self.config_dir else self.state_dir.resolve()

    def log_for_config(self) -> Path | Literal["journal"] | None:
        """`log_dir` as hub.toml names it (None: the default `log`)."""
        if self.log_dir is None:
            return "journal"
        return None if self.log_dir == self.config_dir / "log" else self.log_dir.resolve()


class HubConfig(BaseModel):
    """Everything that deploys a hub.

    Relative paths of state (database, TLS, keys, SMS outbox, backups) are resolved against
    `state_dir`, itself relative to `config_dir` (the folder of hub.toml); `log_dir` is
    relative to `config_dir`. A developer's hub keeps everything in one folder (`state_dir`
    unset); a packaged hub has hub.toml in /etc/vw-hub, state in /var/lib/vw-hub and logs in
    /var/log/vw-hub (or journald alone: `log_dir` unset).
    """

    model_config = ConfigDict(extra="forbid")

    config_dir: Path = Path(".")
    state_dir: Path = Path(".")
    listen_host: str = "127.0.0.1"
    """The address to listen on; "*" is every address of the machine (IPv4 and IPv6)."""
    listen_port: int = Field(default=8443, ge=0, le=65535)
    tls: bool = True
    tls_cert: Path = Path("tls/server.pem")
    tls_key: Path = Path("tls/server.key")
    identity_key_file: Path = Path("keys/identity.key")
    """AES-256 key (base64) for identities at rest; `vw-hub init` creates it, mode 600."""
    database_url: str | None = None
    ice_servers: list[IceServer] = Field(default_factory=list)
    officer_token_ttl_s: int = Field(default=12 * 3600, ge=60)
    """How long a user's log-in lasts at most (its refresh token's absolute end)."""
    access_token_ttl_s: int = Field(default=900, ge=30)
    """A user's access token; the client refreshes it before it runs out."""
    device_token_ttl_s: int = Field(default=3600, ge=60)
    """A kiosk's access token."""
    device_login_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)
    """How long a kiosk's log-in lasts at most; then it logs in again with its secret."""
    session_recheck_s: float = Field(default=30.0, gt=0)
    """Every socket's log-in (expiry, revocation, disabled account) is re-checked this often."""
    password_min_length: int = Field(default=10, ge=8, le=128)
    log_dir: Path | None = Path("log")
    log_level: str = "INFO"
    log_format: Literal["auto", "text", "json"] = "auto"
    """"json": one JSON object per line; "auto": plain messages under journald, else text."""
    security_log_days: int = Field(default=190, ge=180)
    """Days the security log (audit and security events) is kept: at least six months."""
    metrics_tokens: list[str] = Field(default_factory=list)
    """Bearer tokens that may read `/metrics` from beyond loopback (loopback needs none)."""
    metrics_allow: list[str] = Field(default_factory=list)
    """Networks (CIDR) that may read `/metrics` without a token, besides loopback."""
    heartbeat_s: float = Field(default=20.0, gt=0)
    login_failures_allowed: int = Field(default=5, ge=1)
    login_failure_window_s: float = Field(default=300.0, gt=0)
    sms_outbox: Path = Path("var/sms-outbox.jsonl")
    """File SMS gateway's outbox (JSON lines; relative to state_dir)."""
    rating_followup_min: float = Field(default=30.0, gt=0)
    """A session ended this long ago without a rating gets a follow-up."""
    circulation_hop_workdays: dict[str, int] = Field(default_factory=dict)
    """Overrides of the working days originals may stay in one state (`hub/circulation.py`)."""
    priority_ratio: int = Field(default=3, ge=1)
    """Routing: after this many priority (70+/assistance) takes in a row, a normal ticket."""
    overdue_after_s: float = Field(default=900.0, gt=0)
    """Routing: a ticket waiting longer than this is flagged overdue (and audited once)."""
    header_timeout_s: float = Field(default=30.0, gt=0)
    """A connection that sends no complete request head for this long (a new one, or an idle
    keep-alive one) is closed: slow headers hold nothing open."""
    body_timeout_s: float = Field(default=30.0, gt=0)
    """A request body (JSON, page, catalogue file) must arrive in full within this; else 408."""
    anonymous_per_address: int = Field(default=32, ge=1)
    """Requests without credentials one client address may have in flight at once."""
    max_pages_per_session: int = Field(default=200, ge=1)
    """Pages one session may hold; more are refused (`too_many_pages`)."""
    image_workers: int = Field(default=1, ge=1, le=32)
    """Threads decoding and re-encoding uploaded pages (each also uses OpenCV's own threads)."""
    image_queue: int = Field(default=8, ge=0)
    """Uploads that may wait for an image worker; past that the hub answers rate_limited."""
    check_replies: bool = False
    """Validate every JSON reply against its declared model; for tests and staging."""

    @field_validator("log_dir", mode="before")
    @classmethod
    def _no_log_files(cls, value: object) -> object:
        return None if value == "" else value  # log_dir = "": stderr (journald) only

    @model_validator(mode="after")
    def _resolve_paths(self) -> HubConfig:
        base = self.config_dir.resolve()
        self.config_dir = base
        state = base / self.state_dir
        self.state_dir = state
        self.tls_cert = state / self.tls_cert
        self.tls_key = state / self.tls_key
        self.identity_key_file = state / self.identity_key_file
        self.sms_outbox = state / self.sms_outbox
        if self.log_dir is not None:
            self.log_dir = base / self.log_dir
        if self.database_url is None:
            self.database_url = f"sqlite+aiosqlite:///{self.sqlite_path(state)}"
        return self

    @staticmethod
    def sqlite_path(state_dir: Path) -> Path:
        """Where the default SQLite database lives in a state folder."""
        return state_dir / "hub.sqlite3"

    @property
    def db_url(self) -> str:
        """The database URL, always set after validation."""
        assert self.database_url is not None
        return self.database_url


def load_hub_config(path: Path | None, environ: dict[str, str] | None = None) -> HubConfig:
    """Read `hub.toml` (and `VW_HUB__KEY` overrides); raises `shared.config.ConfigError`."""
    return load_config(HubConfig, path, ENV_PREFIX, environ)


def render_config(
    port: int,
    hostnames: list[str],
    listen: str = "127.0.0.1",
    state_dir: Path | None = None,
    log_dir: Path | Literal["journal"] | None = None,
) -> str:
    """The `hub.toml` that `vw-hub init` writes.

    `state_dir` None keeps state beside hub.toml; `log_dir` None gives the folder's `log`,
    "journal" no log files at all (journald keeps stderr).
    """
    names = ", ".join(f'"{h}"' for h in hostnames)
    state = "" if state_dir is None else f"state_dir = {_toml_str(str(state_dir))}\n"
    if log_dir == "journal":
        logs = 'log_dir = ""  # no log files: stderr (journald) only\n'
    else:
        logs = f"log_dir = {_toml_str('log' if log_dir is None else str(log_dir))}\n"
    return (
        "# Remote Virtual Window hub settings (relative paths: state beside state_dir,\n"
        "# state_dir and log_dir beside this file).\n"
        f"# Server certificate names: localhost, 127.0.0.1, ::1{', ' + names if names else ''}\n"
        '# listen_host: an address, or "*" for every address of this machine\n'
        f"listen_host = {_toml_str(listen)}\n"
        f"listen_port = {port}\n" + state + 'tls_cert = "tls/server.pem"\n'
        'tls_key = "tls/server.key"\n'
        "# AES-256-GCM key for personal data at rest (created by init, mode 600; back it up)\n"
        'identity_key_file = "keys/identity.key"\n'
        "# database_url defaults to sqlite+aiosqlite:///<state_dir>/hub.sqlite3\n"
        '# ice_servers = [{ urls = ["turn:t.example:3478"], username = "u", credential = "p" }]\n'
        "ice_servers = []\n"
        "officer_token_ttl_s = 43200\n"
        "device_token_ttl_s = 3600\n"
        + logs
        + "# one JSON object per line (default: text; plain messages under journald)\n"
        + '# log_format = "json"\n'
        "# /metrics answers loopback; beyond it only these bearer tokens or networks:\n"
        "# metrics_tokens = []\n"
        '# metrics_allow = ["10.0.0.0/8"]\n'
    )


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
